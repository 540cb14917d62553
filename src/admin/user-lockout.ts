// Whether a user is locked out, and unlocking them (issue #14): the failure counters of the password sign-in (per
// email), the second factor and passkeys (per user) are the attempt guards' own; an operator clears all three, so a
// user locked out after too many attempts need not wait out the window. The per-IP limits stay: they are not the
// user's but the address's (credential stuffing).
import type { RateLimiter } from '../store/rate-limiter.js';
import type { Factors } from '../auth-methods/mfa/factors.service.js';
import type { UsersService } from '../accounts/users.service.js';
import { createLoginGuard } from '../auth-methods/password/login-limits.js';
import { createPasskeyGuard } from '../auth-methods/passkeys/passkey.routes.js';

export interface Lockout {
  /** seconds until the longest lock ends; 0 = not locked */
  seconds: number;
  /** what is locked: password, second factor, passkey */
  what: string[];
}

export function createUserLockout(deps: { limiter: RateLimiter; factors: Factors; users: UsersService }) {
  return {
    async of(tenantId: string, user: { id: string; email: string | null }): Promise<Lockout> {
      const [password, mfa, passkey] = await Promise.all([
        user.email ? createLoginGuard(deps.limiter, await deps.users.realmOf(tenantId)).lockedFor(user.email) : Promise.resolve(0),
        deps.factors.lockedFor(tenantId, user.id),
        createPasskeyGuard(deps.limiter, tenantId).lockedFor(user.id),
      ]);
      const what = [password && 'password', mfa && 'second factor', passkey && 'passkey'].filter((w): w is string => !!w);
      return { seconds: Math.max(password, mfa, passkey), what };
    },
    async unlock(tenantId: string, user: { id: string; email: string | null }): Promise<void> {
      await Promise.all([
        user.email ? createLoginGuard(deps.limiter, await deps.users.realmOf(tenantId)).unlock(user.email) : Promise.resolve(),
        deps.factors.unlock(tenantId, user.id),
        createPasskeyGuard(deps.limiter, tenantId).succeededFor(user.id),
      ]);
    },
  };
}
