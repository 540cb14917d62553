// Email + password as an AuthMethod: the attempt is reserved per account and per IP before the hash is checked
// (login-limits.ts), and an unknown email costs the same work and gets the same answer as a wrong
// password (users.service.ts authenticate). Under signIn.requireVerifiedEmail a right password of an account whose
// email is unverified says so (`verifyEmail`): the login transaction then asks for the email to be proven first
// (email-verification.step.ts). Only a right password learns it, so it reveals nothing about the account.
import type { UsersService } from '../../accounts/users.service.js';
import { createLoginGuard } from './login-limits.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import type { VerifyingMethod } from '../auth-method.js';

export function createPasswordMethod(deps: { users: UsersService; limiter: RateLimiter }): VerifyingMethod {
  return {
    id: 'password',
    amr: ['pwd'],
    factor: 'first',
    availableFor: (tenant) => tenant.settings.signIn.methods.password,
    loginPage: { flag: 'password', path: '/login', label: 'common.signIn' },
    async verify({ tenant, identifier, secret, request }) {
      const email = (identifier ?? '').trim().slice(0, 254);
      if (!email || !secret || secret.length > 128) return { ok: false, error: 'wrong', attemptsLeft: null };
      const attempt = await createLoginGuard(deps.limiter, await deps.users.realmOf(tenant.id)).reserve(email, request.ip);
      if (!attempt.allowed) return { ok: false, error: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
      const user = await deps.users.authenticate(tenant.id, email, secret, tenant.settings.signIn);
      if (!user) return { ok: false, error: 'wrong', attemptsLeft: null };
      await attempt.succeeded();
      const verifyEmail = tenant.settings.signIn.requireVerifiedEmail && !!user.email && !user.emailVerified;
      return { ok: true, userId: user.id, identifier: user.email ? { kind: 'email', value: user.email } : null, amr: ['pwd'], signUp: false, verifyEmail };
    },
  };
}
