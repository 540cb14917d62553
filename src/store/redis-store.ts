import { createHash } from 'node:crypto';
import { ErrorReply, RedisClient as RedisClientClass, type RedisClientType } from '@redis/client';
import type { KvStore } from './kv-store.js';
import { redactPassword } from '../errors/redact-password.js';
import { guardAvailability } from './redis-availability.js';

export interface RedisStoreOptions {
  url: string;
  /** prepended to every key and channel, e.g. `tessera:` */
  prefix: string;
  /** receives connection errors after start-up and errors thrown by subscribers; never rethrown */
  onError?: (err: Error) => void;
  /** the connections' name in Redis's CLIENT LIST (default `tessera`) */
  clientName?: string;
}

type RedisClient = RedisClientType;

/** One client class for every connection of the process: @redis/client's createClient builds a class with every
 *  command attached (about 10 ms, several times that before the JIT warms up) for each options object it has not
 *  seen, and each connection here has an options object of its own. */
const newClient = RedisClientClass.factory({});

// Start-up fails fast so a wrong REDIS_URL stops the process with a clear message instead of
// hanging; once connected, a dropped connection is retried forever (Redis restarts, failovers).
const START_DEADLINE_MS = 4_000;
const CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 5_000;
// A call waits at most this long for Redis's answer: a Redis that is down or hung fails the request (503) instead of
// holding it (redis-availability.ts).
const COMMAND_TIMEOUT_MS = 2_000;

// INCR then EXPIRE in one script: a crash between the two would leave a counter that never resets.
// TTL == -1 (no expiry) also heals a counter that somehow lost its TTL.
const INCR_WITH_TTL = `
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

// DECR only an existing counter above 0: a release after the window ended must not create a key without a TTL
// (DECR on an absent key would), nor push a counter below zero. DECR keeps the key's TTL.
const DECR_EXISTING = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local n = tonumber(v)
if n == nil or n ~= math.floor(n) then return redis.error_reply('ERR value is not an integer or out of range') end
if n > 0 then return redis.call('DECR', KEYS[1]) end
return n`;

// GET, compare, SET in one script: the compare-and-set of a record's transition (login-transaction.store.ts).
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

// SADD and a TTL that only grows: a set of e.g. session ids must live as long as its newest member.
const ADD_TO_SET = `
redis.call('SADD', KEYS[1], ARGV[1])
local ms = tonumber(ARGV[2]) * 1000
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
return 1`;

// SET and ADD_TO_SET in one script: a value and the set indexing it are written together, or neither when the set's
// key holds something else (two keys: Tessera's client talks to one Redis node, not a cluster, README "PostgreSQL and
// Redis").
const SET_AND_ADD_TO_SET = `
local kind = redis.call('TYPE', KEYS[2])['ok']
if kind ~= 'none' and kind ~= 'set' then return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value') end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local ms = tonumber(ARGV[2]) * 1000
if redis.call('PTTL', KEYS[2]) < ms then redis.call('PEXPIRE', KEYS[2], ms) end
return 1`;

// LPUSH, LTRIM and EXPIRE in one script: a capped list must never be left untrimmed or without a TTL.
const LIST_PUSH = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** a Lua script and its SHA-1, the name Redis caches it under */
interface Script { text: string; sha: string }
const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const incrWithTtl = script(INCR_WITH_TTL);
const decrExisting = script(DECR_EXISTING);
const compareAndSetScript = script(COMPARE_AND_SET);
const addToSet = script(ADD_TO_SET);
const listPush = script(LIST_PUSH);
const setAndAddToSet = script(SET_AND_ADD_TO_SET);

/**
 * Connects to Redis and returns a KvStore over it.
 * Rejects with "cannot reach Redis at host:port: <reason>" (never the password) within a few seconds.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<KvStore> {
  const { url, prefix, onError } = options;
  const name = options.clientName ?? 'tessera';
  const target = describeTarget(url);
  const report = (err: unknown) => onError?.(err instanceof Error ? err : new Error(String(err)));

  const command = await connect(url, target, report, name);
  let subscriber: Promise<RedisClient> | undefined;
  let closing: Promise<void> | undefined;

  // Pub/sub needs a dedicated connection; most processes never subscribe, so it is made on demand.
  const getSubscriber = () =>
    (subscriber ??= connect(url, target, report, name).catch((err: unknown) => {
      subscriber = undefined;
      throw err;
    }));

  const k = (key: string) => prefix + key;
  // A script is sent by its SHA-1 (EVALSHA), not its text: every access token's save runs one (the grant's set), and
  // EVAL makes Redis hash the text each time. A Redis that does not hold it (restarted, SCRIPT FLUSH) answers NOSCRIPT:
  // then the text goes once, with EVAL, which caches it again.
  async function run(lua: Script, keys: string[], args: string[] = []): Promise<unknown> {
    try {
      return await command.evalSha(lua.sha, { keys, arguments: args });
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      return command.eval(lua.text, { keys, arguments: args });
    }
  }

  return guardAvailability(COMMAND_TIMEOUT_MS, {
    kind: 'redis',
    async get(key) {
      return command.get(k(key));
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      return command.mGet(keys.map(k));
    },
    async set(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      await command.set(k(key), value, { expiration: { type: 'EX', value: ttlSeconds } });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      const reply = await command.set(k(key), value, {
        expiration: { type: 'EX', value: ttlSeconds },
        condition: 'NX',
      });
      return reply !== null;
    },
    async compareAndSet(key, expected, next, ttlSeconds) {
      assertTtl(ttlSeconds);
      const reply = await run(compareAndSetScript, [k(key)], [expected, next, String(ttlSeconds)]);
      return Number(reply) === 1;
    },
    async del(keys) {
      if (keys.length === 0) return;
      await command.del(keys.map(k));
    },
    async ttl(key) {
      return command.ttl(k(key));
    },
    async incr(key, ttlSeconds) {
      assertTtl(ttlSeconds);
      const reply = await run(incrWithTtl, [k(key)], [String(ttlSeconds)]);
      return Number(reply);
    },
    async decr(key) {
      const reply = await run(decrExisting, [k(key)]);
      return Number(reply);
    },
    async addToSet(key, member, ttlSeconds) {
      assertTtl(ttlSeconds);
      await run(addToSet, [k(key)], [member, String(ttlSeconds)]);
    },
    async setAndAddToSet(key, value, ttlSeconds, setKey, member) {
      assertTtl(ttlSeconds);
      await run(setAndAddToSet, [k(key), k(setKey)], [value, String(ttlSeconds), member]);
    },
    async setMembers(key) {
      return command.sMembers(k(key));
    },
    async listPush(key, value, maxLength, ttlSeconds) {
      assertTtl(ttlSeconds);
      assertMaxLength(maxLength);
      await run(listPush, [k(key)], [value, String(maxLength), String(ttlSeconds)]);
    },
    async listRange(key) {
      return command.lRange(k(key), 0, -1);
    },
    async publish(channel, message) {
      await command.publish(k(channel), message);
    },
    async subscribe(channel, onMessage) {
      const client = await getSubscriber();
      // A throwing handler must not break the connection's reply parser.
      await client.subscribe(k(channel), (message: string) => {
        try {
          onMessage(message);
        } catch (err) {
          report(err);
        }
      });
    },
    async ping() {
      await command.ping();
    },
    close() {
      closing ??= (async () => {
        const sub = subscriber ? await subscriber.catch(() => undefined) : undefined;
        await Promise.all([command.close(), sub?.close()]);
      })();
      return closing;
    },
  });
}

async function connect(url: string, target: string, report: (err: unknown) => void, name: string): Promise<RedisClient> {
  let started = false;
  const deadline = Date.now() + START_DEADLINE_MS;
  const client: RedisClient = newClient({
    url,
    name,
    // While Redis is unreachable, commands fail at once (StoreUnavailableError, answered 503) instead of queueing
    // for a reconnect that may be seconds away: a queued request would hang, and /readyz with it.
    disableOfflineQueue: true,
    // No timeout of the library's own (its default is 5 s per command): `deadlines` (redis-availability.ts) gives up on every call. The
    // library arms an AbortSignal.timeout per command, whose timer holds the request's async context (the whole
    // provider context of a refresh or sign-in) until the signal is garbage-collected: 10,000 refreshes kept 5,000
    // request contexts alive, ≈90 MB, after the load had ended (docs/benchmarks.md).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy(retries, cause) {
        if (!started) {
          // An error reply (bad password, unknown db) will not fix itself by retrying.
          const retryable = !(cause instanceof ErrorReply) && Date.now() + 250 < deadline;
          return retryable ? 250 : false;
        }
        return Math.min(100 * 2 ** Math.min(retries, 6), MAX_RECONNECT_DELAY_MS);
      },
    },
  });
  // Without a listener an 'error' event would crash the process; start-up errors reach the caller
  // through the rejected promise instead, so only later ones are reported.
  client.on('error', (err: unknown) => {
    if (started) report(err);
  });
  try {
    await client.connect();
  } catch (err) {
    try {
      client.destroy();
    } catch {
      // already closed by the failed connect
    }
    throw new Error(`cannot reach Redis at ${target}: ${redactPassword(reason(err), url)}`);
  }
  started = true;
  return client;
}

function describeTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself may hold a password: do not echo it.
    throw new Error('cannot reach Redis: REDIS_URL is not a valid URL');
  }
  if (parsed.protocol === 'unix:') return parsed.pathname;
  return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
}

function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reason(err.errors[0]);
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
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
