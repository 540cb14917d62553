/** Short-lived key/value state with TTLs. Keys are namespaced by the store's prefix. */
export interface KvStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** atomic: sets only when the key is absent; true when this call set it */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * atomic compare-and-set: replaces the value (and TTL) only when the key currently holds exactly `expected`;
   * true when this call replaced it. An absent key never matches. One writer wins among concurrent callers that
   * read the same value, so a record's transitions cannot fork.
   */
  compareAndSet(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean>;
  del(keys: readonly string[]): Promise<void>;
  /** remaining seconds; -2 when absent */
  ttl(key: string): Promise<number>;
  /** atomic increment; the TTL is set when the key is created (fixed window) */
  incr(key: string, ttlSeconds: number): Promise<number>;
  /** atomic: lowers an existing counter by one, never below 0, keeping its TTL; an absent key stays absent (0) */
  decr(key: string): Promise<number>;
  /** adds a member; the set's TTL becomes max(current, ttlSeconds) */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  /**
   * atomic: set(key, value, ttlSeconds) then addToSet(setKey, member, ttlSeconds), with nothing in between and in one
   * round trip: a value and the set that indexes it (a token and its grant's set, which revocation reads)
   */
  setAndAddToSet(key: string, value: string, ttlSeconds: number, setKey: string, member: string): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** atomic: prepends (newest first), keeps the newest `maxLength` items, and sets the list's TTL to ttlSeconds */
  listPush(key: string, value: string, maxLength: number, ttlSeconds: number): Promise<void>;
  /** the whole list, newest first; [] when absent */
  listRange(key: string): Promise<string[]>;
  publish(channel: string, message: string): Promise<void>;
  /** delivers messages published by any process sharing the store (memory: this process only) */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
