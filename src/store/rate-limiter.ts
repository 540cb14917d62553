import { createHash } from 'node:crypto';
import type { KvStore } from './kv-store.js';

export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** hits still allowed in the current window */
  remaining: number;
  /** 0 when allowed; otherwise seconds until the window resets (at least 1) */
  retryAfterSeconds: number;
}

/** one attempt counted before it is judged (see RateLimiter.reserve) */
export interface Reservation extends RateDecision {
  /**
   * un-counts this attempt (once): it was not judged after all, or it succeeded where successes do not count. Meant
   * for allowed reservations: a decrement cannot tell windows apart, so one landing after the window ended lowers
   * the next window's count.
   */
  release(): Promise<void>;
}

export interface RateLimiter {
  /** counts one hit for (bucket, subject) and says whether it is within the rule */
  hit(bucket: string, subject: string, rule: RateRule): Promise<RateDecision>;
  /**
   * Reserves one attempt before the caller checks a secret: one atomic increment-then-check, so N concurrent
   * callers get N distinct counts and at most `limit` of them are allowed. Checking with `peek` and counting
   * after the check lets every concurrent attempt through while the first ones are still being judged.
   * A refused reservation stays counted too (it is past the limit anyway).
   */
  reserve(bucket: string, subject: string, rule: RateRule): Promise<Reservation>;
  /** reads without counting: `allowed` says whether the next hit would be */
  peek(bucket: string, subject: string, rule: RateRule): Promise<RateDecision>;
  reset(bucket: string, subject: string): Promise<void>;
}

/**
 * Fixed-window counters on KvStore.incr: the window starts at a subject's first hit and its
 * counter expires with it. Simple and one round trip per allowed hit; a burst of up to 2×limit
 * across a window boundary is accepted as the price.
 */
/** @param options.onRefused told of each refused hit, with the limit's bucket name (metrics) */
export function createRateLimiter(store: KvStore, options: { onRefused?: (bucket: string) => void } = {}): RateLimiter {
  async function retryAfter(key: string): Promise<number> {
    // The window may have ended between the two calls (-2): still tell the caller to back off briefly.
    return Math.max(1, await store.ttl(key));
  }

  async function hit(bucket: string, subject: string, rule: RateRule): Promise<RateDecision> {
    assertRule(rule);
    const key = rateKey(bucket, subject);
    const count = await store.incr(key, rule.windowSeconds);
    const allowed = count <= rule.limit;
    if (!allowed) options.onRefused?.(bucket);
    return {
      allowed,
      remaining: Math.max(0, rule.limit - count),
      retryAfterSeconds: allowed ? 0 : await retryAfter(key),
    };
  }

  return {
    hit,
    async reserve(bucket, subject, rule) {
      const decision = await hit(bucket, subject, rule);
      let released = false;
      return {
        ...decision,
        async release() {
          if (released) return;
          released = true;
          await store.decr(rateKey(bucket, subject));
        },
      };
    },
    async peek(bucket, subject, rule) {
      assertRule(rule);
      const key = rateKey(bucket, subject);
      const count = Number((await store.get(key)) ?? 0);
      const allowed = count < rule.limit;
      return {
        allowed,
        remaining: Math.max(0, rule.limit - count),
        retryAfterSeconds: allowed ? 0 : await retryAfter(key),
      };
    },
    async reset(bucket, subject) {
      await store.del([rateKey(bucket, subject)]);
    },
  };
}

/**
 * Subjects are emails, phone numbers or IPs: only their SHA-256 reaches the store, so a dump of
 * Redis does not list who tried to sign in. Case and surrounding blanks are folded first so
 * `Alice@x` and `alice@x ` share one counter (merging variants only makes a limit stricter).
 */
function rateKey(bucket: string, subject: string): string {
  const digest = createHash('sha256').update(subject.trim().toLowerCase()).digest('base64url');
  return `rl:${bucket}:${digest}`;
}

function assertRule(rule: RateRule): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new RangeError(`rate rule limit must be a positive integer, got ${rule.limit}`);
  }
  if (!Number.isSafeInteger(rule.windowSeconds) || rule.windowSeconds < 1) {
    throw new RangeError(`rate rule windowSeconds must be a positive integer, got ${rule.windowSeconds}`);
  }
}
