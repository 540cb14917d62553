// A passkey as the second factor of a login transaction (the JSON front doors; the hosted page's is
// passkey.routes.ts /mfa/passkey): the assertion is the `secret` (AuthenticationResponseJSON as a string), checked
// against the challenge issued for the transaction (purpose `mfa`, binding the transaction id) and the user's own
// credentials. Each assertion is reserved on the account's and the IP's passkey limits before it is verified.
import type { RateLimiter } from '../../store/rate-limiter.js';
import type { AuthMethod, MethodVerifyOutcome } from '../auth-method.js';
import { createPasskeyGuard } from './passkey-guard.js';
import { parseAuthentication, type WebAuthnService, type WebAuthnTenant } from './webauthn.service.js';

/**
 * Options for navigator.credentials.get answering the transaction `binding` of `userId`: after a passkey first factor
 * without user verification the same key proves nothing new, so only a verified one counts (as on the hosted page).
 */
export function passkeyFactorOptions(webauthn: WebAuthnService, tenant: WebAuthnTenant, binding: string, userId: string, firstFactorAmr: readonly string[]) {
  return webauthn.authenticationOptions(tenant, 'mfa', binding, { userId, userVerification: firstFactorAmr.includes('hwk') ? 'required' : 'discouraged' });
}

export function createPasskeyFactorMethod(deps: { webauthn: WebAuthnService; limiter: RateLimiter }): AuthMethod {
  return {
    id: 'passkey',
    amr: ['hwk'],
    factor: 'second',
    availableFor: (tenant) => tenant.settings.mfa.policy !== 'off' && tenant.settings.mfa.factors.passkey,
    loginPage: null,
    async verify({ tenant, userId, transactionId, secret, request }): Promise<MethodVerifyOutcome> {
      if (!userId || !transactionId) return { ok: false, error: 'expired' };
      const response = parseAuthentication(secret);
      if (!response) return { ok: false, error: 'wrong', attemptsLeft: null };
      const attempt = await createPasskeyGuard(deps.limiter, tenant.id).reserve(userId, request.ip);
      if (!attempt.allowed) return { ok: false, error: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
      const result = await deps.webauthn.authenticate(tenant, 'mfa', transactionId, response);
      if (!result.ok) return { ok: false, error: 'wrong', attemptsLeft: null };
      await attempt.succeeded();
      return { ok: true, userId, identifier: null, amr: ['hwk'], signUp: false };
    },
  };
}
