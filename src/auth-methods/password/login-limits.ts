// Failed password sign-ins are limited per account and per client IP (Redis, shared by every process).
// The account limit applies to any email typed, registered or not, so hitting it reveals nothing.
// Each attempt is reserved on both limits before the password is checked (store/attempt-guard.ts): checking first
// and counting after the slow hash let 60 concurrent guesses all be judged against a limit of 10.
import { reserveAttempt, type Attempt } from '../../store/attempt-guard.js';
import type { RateLimiter, RateRule } from '../../store/rate-limiter.js';

export const loginLimits = {
  /** failed attempts on one email within the window before it is locked for the rest of the window */
  account: { limit: 10, windowSeconds: 15 * 60 } satisfies RateRule,
  /** failed attempts from one IP, across emails (credential stuffing) */
  ip: { limit: 100, windowSeconds: 15 * 60 } satisfies RateRule,
};

/**
 * @param realmId the user realm's id (UsersService.realmOf): an environment shares its tenant's users and passwords,
 * so a guess counts against the account in every environment
 */
export function createLoginGuard(limiter: RateLimiter, realmId: string) {
  const accountBucket = `login-account:${realmId}`;
  const ipBucket = `login-ip:${realmId}`;
  return {
    /** one password attempt, reserved before the check; a success clears the account's failures */
    reserve(email: string, ip: string): Promise<Attempt> {
      return reserveAttempt(limiter, [
        { bucket: accountBucket, subject: email, rule: loginLimits.account, onSuccess: 'reset' },
        { bucket: ipBucket, subject: ip, rule: loginLimits.ip, onSuccess: 'release' },
      ]);
    },
    /** seconds the account of `email` stays locked, 0 when it is not (a read: nothing is counted) */
    async lockedFor(email: string): Promise<number> {
      const state = await limiter.peek(accountBucket, email, loginLimits.account);
      return state.allowed ? 0 : Math.max(1, state.retryAfterSeconds);
    },
    /** clears the failures counted against the account of `email` (an operator unlocks it) */
    unlock: (email: string) => limiter.reset(accountBucket, email),
  };
}
