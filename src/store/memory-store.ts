import { EventEmitter } from 'node:events';
import type { KvStore } from './kv-store.js';

export interface MemoryStoreOptions {
  prefix?: string;
  /** how often expired keys are dropped even if never read again; default 30 s */
  sweepIntervalMs?: number;
  /** receives errors thrown by subscribers (as the Redis store does); never rethrown */
  onError?: (err: Error) => void;
}

type Entry =
  | { type: 'string'; value: string; expiresAt: number }
  | { type: 'set'; members: Set<string>; expiresAt: number }
  | { type: 'list'; items: string[]; expiresAt: number };

// Same wording as Redis so callers and tests see the same failures from both stores.
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = 'ERR value is not an integer or out of range';

/**
 * A single-process KvStore for development and tests (REDIS_URL unset). It mirrors the Redis
 * store's semantics, including TTL rounding and asynchronous pub/sub delivery, so code that works
 * here works against Redis. State is lost on restart and not shared between processes.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): KvStore {
  const prefix = options.prefix ?? '';
  const entries = new Map<string, Entry>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let closed = false;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  }, options.sweepIntervalMs ?? 30_000);
  // The sweep only frees memory; it must never keep the process alive.
  sweep.unref();

  const k = (key: string) => prefix + key;

  // Same as the Redis client after close(): fail loudly rather than act on a dead store.
  function assertOpen(): void {
    if (closed) throw new Error('The client is closed');
  }

  /** the live entry under a prefixed key, dropping it first if it has expired */
  function live(fullKey: string): Entry | undefined {
    assertOpen();
    const entry = entries.get(fullKey);
    if (entry && entry.expiresAt <= Date.now()) {
      entries.delete(fullKey);
      return undefined;
    }
    return entry;
  }

  const expiry = (ttlSeconds: number) => Date.now() + ttlSeconds * 1000;

  function addMember(key: string, member: string, ttlSeconds: number): void {
    const entry = live(k(key));
    const expiresAt = expiry(ttlSeconds);
    if (!entry) {
      entries.set(k(key), { type: 'set', members: new Set([member]), expiresAt });
      return;
    }
    if (entry.type !== 'set') throw new Error(WRONGTYPE);
    entry.members.add(member);
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
  }

  return {
    kind: 'memory',
    async get(key) {
      const entry = live(k(key));
      if (!entry) return null;
      if (entry.type !== 'string') throw new Error(WRONGTYPE);
      return entry.value;
    },
    async getMany(keys) {
      // Like MGET: a key of another type reads as null rather than failing the batch.
      return keys.map((key) => {
        const entry = live(k(key));
        return entry?.type === 'string' ? entry.value : null;
      });
    },
    async set(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      assertOpen();
      entries.set(k(key), { type: 'string', value, expiresAt: expiry(ttlSeconds) });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      if (live(k(key))) return false;
      entries.set(k(key), { type: 'string', value, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async compareAndSet(key, expected, next, ttlSeconds) {
      assertTtl(ttlSeconds);
      const entry = live(k(key));
      if (!entry) return false;
      if (entry.type !== 'string') throw new Error(WRONGTYPE);
      if (entry.value !== expected) return false;
      entries.set(k(key), { type: 'string', value: next, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async del(keys) {
      assertOpen();
      for (const key of keys) entries.delete(k(key));
    },
    async ttl(key) {
      const entry = live(k(key));
      if (!entry) return -2;
      // Redis rounds the remaining milliseconds to the nearest second.
      return Math.round((entry.expiresAt - Date.now()) / 1000);
    },
    async incr(key, ttlSeconds) {
      assertTtl(ttlSeconds);
      const entry = live(k(key));
      if (!entry) {
        entries.set(k(key), { type: 'string', value: '1', expiresAt: expiry(ttlSeconds) });
        return 1;
      }
      if (entry.type !== 'string') throw new Error(WRONGTYPE);
      if (!/^-?\d+$/.test(entry.value)) throw new Error(NOT_INTEGER);
      const next = Number(entry.value) + 1;
      if (!Number.isSafeInteger(next)) throw new Error(NOT_INTEGER);
      entry.value = String(next);
      return next;
    },
    async decr(key) {
      const entry = live(k(key));
      if (!entry) return 0;
      if (entry.type !== 'string') throw new Error(WRONGTYPE);
      if (!/^-?\d+$/.test(entry.value)) throw new Error(NOT_INTEGER);
      const current = Number(entry.value);
      if (current <= 0) return current;
      entry.value = String(current - 1);
      return current - 1;
    },
    async addToSet(key, member, ttlSeconds) {
      assertTtl(ttlSeconds);
      addMember(key, member, ttlSeconds);
    },
    async setAndAddToSet(key, value, ttlSeconds, setKey, member) {
      assertTtl(ttlSeconds);
      assertOpen();
      // the set's type is checked before anything is written: a WRONGTYPE leaves both as they were
      const set = live(k(setKey));
      if (set && set.type !== 'set') throw new Error(WRONGTYPE);
      entries.set(k(key), { type: 'string', value, expiresAt: expiry(ttlSeconds) });
      addMember(setKey, member, ttlSeconds);
    },
    async setMembers(key) {
      const entry = live(k(key));
      if (!entry) return [];
      if (entry.type !== 'set') throw new Error(WRONGTYPE);
      return [...entry.members];
    },
    async listPush(key, value, maxLength, ttlSeconds) {
      assertTtl(ttlSeconds);
      assertMaxLength(maxLength);
      const entry = live(k(key));
      if (entry && entry.type !== 'list') throw new Error(WRONGTYPE);
      const items = [value, ...(entry?.items ?? [])].slice(0, maxLength);
      entries.set(k(key), { type: 'list', items, expiresAt: expiry(ttlSeconds) });
    },
    async listRange(key) {
      const entry = live(k(key));
      if (!entry) return [];
      if (entry.type !== 'list') throw new Error(WRONGTYPE);
      return [...entry.items];
    },
    async publish(channel, message) {
      assertOpen();
      // Redis delivers after PUBLISH returns, never inside it: callers must not rely on otherwise.
      setImmediate(() => events.emit(k(channel), message));
    },
    async subscribe(channel, onMessage) {
      assertOpen();
      events.on(k(channel), (message: string) => {
        try {
          onMessage(message);
        } catch (err) {
          options.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    async ping() {
      assertOpen();
    },
    async close() {
      closed = true;
      clearInterval(sweep);
      events.removeAllListeners();
      entries.clear();
    },
  };
}

function assertTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
}

function assertMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  }
}
