// Failed password sign-ins are limited per account and per client IP (Redis, shared by every process).
// The account limit applies to any email typed, registered or not, so hitting it reveals nothing.
import type { RateLimiter, RateRule } from '../store/rate-limiter.js';

export const loginLimits = {
  /** failed attempts on one email within the window before it is locked for the rest of the window */
  account: { limit: 10, windowSeconds: 15 * 60 } satisfies RateRule,
  /** failed attempts from one IP, across emails (credential stuffing) */
  ip: { limit: 100, windowSeconds: 15 * 60 } satisfies RateRule,
};

export function createLoginGuard(limiter: RateLimiter, tenantId: string) {
  const accountBucket = `login-account:${tenantId}`;
  const ipBucket = `login-ip:${tenantId}`;
  return {
    /** @returns seconds to wait, or 0 when an attempt may be made */
    async retryAfter(email: string, ip: string): Promise<number> {
      const [account, address] = await Promise.all([
        limiter.peek(accountBucket, email, loginLimits.account),
        limiter.peek(ipBucket, ip, loginLimits.ip),
      ]);
      if (account.allowed && address.allowed) return 0;
      return Math.max(account.allowed ? 0 : account.retryAfterSeconds, address.allowed ? 0 : address.retryAfterSeconds, 1);
    },
    async failed(email: string, ip: string): Promise<void> {
      await Promise.all([limiter.hit(accountBucket, email, loginLimits.account), limiter.hit(ipBucket, ip, loginLimits.ip)]);
    },
    async succeeded(email: string): Promise<void> {
      await limiter.reset(accountBucket, email);
    },
  };
}
