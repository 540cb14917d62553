// What the Redis store (redis-store.ts) does when Redis cannot answer: every failure to reach it becomes
// StoreUnavailableError (answered 503 with Retry-After), no call waits longer than its deadline, and a Redis that has
// let a call's deadline pass is treated as silent until it answers again.
//
// Silent: a Redis that is stopped or cut off by a partition that keeps the connection open takes every command and
// answers none. A call given up on stays in the client's queue until Redis answers or the connection drops (TCP may
// take many minutes to notice): with each request sending more, the queue — and the process's memory — grew for as
// long as Redis was silent, and every request waited the whole deadline for its 503. Once one call's deadline has
// passed, calls fail at once without being sent, while one PING at a time asks whether Redis answers again; its
// answer (after those of the calls already queued, which Redis carries out in order) lets calls through again.
import { ErrorReply } from '@redis/client';
import type { KvStore } from './kv-store.js';
import { StoreUnavailableError } from './store-outage.js';

/** how long a failed probe (connection lost, reconnecting) waits before the next */
const PROBE_RETRY_MS = 250;

/**
 * Calls that wait for Redis, each given up after `ms` (StoreUnavailableError); `onExpired` is told of each one given
 * up. One timer sweeps them all, oldest first (every call waits as long, so they expire in the order they started):
 * @redis/client's own `commandOptions.timeout` armed an AbortSignal.timeout for every command, which fired two seconds
 * later even when the answer had come (2–3% of a refresh's profile: docs/benchmarks.md), and covered only commands not
 * yet written to the socket.
 */
function deadlines(ms: number, onExpired: () => void) {
  const waiting = new Set<{ at: number; expire(): void }>();
  let sweeper: NodeJS.Timeout | undefined;
  function sweep() {
    const now = performance.now();
    for (const call of waiting) {
      if (call.at > now) break;
      waiting.delete(call);
      call.expire();
      onExpired();
    }
    if (!waiting.size) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }
  return <T>(work: Promise<T>, translate: (err: unknown) => never): Promise<T> => new Promise<T>((resolve, reject) => {
    const call = { at: performance.now() + ms, expire: () => reject(new StoreUnavailableError('redis', { cause: new Error(`no answer from Redis within ${ms} ms`) })) };
    waiting.add(call);
    if (!sweeper) {
      sweeper = setInterval(sweep, Math.ceil(ms / 8));
      sweeper.unref();
    }
    work.then(
      (value) => { waiting.delete(call); resolve(value); },
      (err: unknown) => { waiting.delete(call); try { translate(err); } catch (translated) { reject(translated); } },
    );
  });
}

/**
 * Whether Redis is silent (a call's deadline passed and no probe has been answered since), and the probe that ends
 * it: `ping` unguarded, one at a time, again after PROBE_RETRY_MS when it fails rather than goes unanswered.
 */
function silence(ping: () => Promise<unknown>) {
  let silent = false;
  let probing = false;
  let closed = false;
  const probe = () => {
    if (probing || closed) return;
    probing = true;
    ping().then(
      () => { probing = false; silent = false; },
      () => {
        probing = false;
        if (!closed) setTimeout(probe, PROBE_RETRY_MS).unref();
      },
    );
  };
  return {
    get silent() { return silent; },
    /** a call's deadline passed */
    noticed() {
      silent = true;
      probe();
    },
    close() { closed = true; },
  };
}

/**
 * The store with every failure to reach Redis (offline, reconnecting, connection lost, no answer within `ms`, silent)
 * turned into StoreUnavailableError. Error replies (a Lua error, WRONGTYPE) and argument errors are bugs, not outages:
 * they pass through unchanged.
 */
export function guardAvailability(ms: number, store: KvStore): KvStore {
  const translate = (err: unknown): never => {
    if (err instanceof ErrorReply || err instanceof RangeError) throw err;
    throw new StoreUnavailableError('redis', { cause: err });
  };
  const redis = silence(() => store.ping());
  const bounded = deadlines(ms, () => redis.noticed());
  const silentError = () => new StoreUnavailableError('redis', { cause: new Error(`Redis has not answered for ${ms} ms: calls fail without being sent until it answers again`) });
  const guarded = { ...store } as Record<string, unknown>;
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'close') continue;
    // a first subscription opens its connection (up to the start deadline), then answers as a command does
    const deadline = name !== 'subscribe';
    guarded[name] = (...args: unknown[]) => {
      if (deadline && redis.silent) return Promise.reject(silentError());
      let work: Promise<unknown>;
      try {
        work = (value as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (err) {
        return Promise.reject(err).catch(translate);
      }
      return deadline ? bounded(work, translate) : work.catch(translate);
    };
  }
  guarded.close = () => {
    redis.close();
    return store.close();
  };
  return guarded as unknown as KvStore;
}
