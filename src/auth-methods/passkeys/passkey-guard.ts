// The passkey attempt limits, shared by the hosted ceremonies (passkey.routes.ts) and the second-factor method of the
// JSON front doors (passkey-factor.method.ts): failed assertions count like failed passwords; issued challenges are
// bounded per IP against store flooding.
import { reserveAttempt, type Attempt } from '../../store/attempt-guard.js';
import type { RateLimiter, RateRule } from '../../store/rate-limiter.js';

/** failed assertions, like failed passwords (interactions/login-limits.ts); issued challenges, against store flooding */
export const passkeyLimits = {
  user: { limit: 10, windowSeconds: 15 * 60 } satisfies RateRule,
  ip: { limit: 100, windowSeconds: 15 * 60 } satisfies RateRule,
  options: { limit: 300, windowSeconds: 5 * 60 } satisfies RateRule,
};

export function createPasskeyGuard(limiter: RateLimiter, tenantId: string) {
  // by user id alone (unique across tenants): a user's passkeys, and so the guesses at them, are the same in every
  // environment of the tenant (db/user-realm.ts)
  const user = 'passkey-user';
  const ip = `passkey-ip:${tenantId}`;
  return {
    /**
     * one assertion, reserved before it is verified (store/attempt-guard.ts) on the IP and, when known beforehand
     * (the second factor), the account; a failure stays counted, a success clears the account's failures
     */
    reserve(userId: string | null, address: string): Promise<Attempt> {
      return reserveAttempt(limiter, [
        ...(userId ? [{ bucket: user, subject: userId, rule: passkeyLimits.user, onSuccess: 'reset' as const }] : []),
        { bucket: ip, subject: address, rule: passkeyLimits.ip, onSuccess: 'release' },
      ]);
    },
    /** a first-factor failure learns its account only from the assertion: counted against it then */
    async failedFor(userId: string): Promise<void> {
      await limiter.hit(user, userId, passkeyLimits.user);
    },
    /** seconds the account stays locked for passkeys, 0 when it is not (a read) */
    async lockedFor(userId: string): Promise<number> {
      const state = await limiter.peek(user, userId, passkeyLimits.user);
      return state.allowed ? 0 : Math.max(1, state.retryAfterSeconds);
    },
    async succeededFor(userId: string): Promise<void> {
      await limiter.reset(user, userId);
    },
    /** false when this address asked for too many challenges */
    async mayIssue(address: string): Promise<boolean> {
      return (await limiter.hit(`passkey-options:${tenantId}`, address, passkeyLimits.options)).allowed;
    },
  };
}

