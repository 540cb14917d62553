// The second factors a user types (TOTP, recovery codes) as AuthMethods over factors.service.ts: each attempt is
// reserved on the account's second-factor limit before the code is checked, a TOTP time step counts once
// (RFC 6238 §5.2), a recovery code once.
import type { VerifyingMethod, MethodVerifyOutcome } from '../auth-method.js';
import type { Factors } from './factors.service.js';

type Check = (factors: Factors, tenantId: string, userId: string, code: string) => Promise<boolean>;

function secondFactor(factors: Factors, spec: { id: string; amr: string[]; check: Check; available: (totpOn: boolean) => boolean }): VerifyingMethod {
  return {
    id: spec.id,
    amr: spec.amr,
    factor: 'second',
    availableFor: (tenant) => tenant.settings.mfa.policy !== 'off' && spec.available(tenant.settings.mfa.factors.totp),
    loginPage: null,
    async verify({ tenant, userId, secret }): Promise<MethodVerifyOutcome> {
      if (!userId) return { ok: false, error: 'expired' };
      const attempt = await factors.reserveAttempt(tenant.id, userId);
      if (!attempt.allowed) return { ok: false, error: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
      if (!(await spec.check(factors, tenant.id, userId, secret.slice(0, 64)))) return { ok: false, error: 'wrong', attemptsLeft: null };
      await attempt.succeeded();
      return { ok: true, userId, identifier: null, amr: spec.amr, signUp: false };
    },
  };
}

export function createTotpMethod(factors: Factors): VerifyingMethod {
  return secondFactor(factors, { id: 'totp', amr: ['otp'], available: (totpOn) => totpOn, check: (f, t, u, code) => f.verifyTotp(t, u, code) });
}

/** recovery codes stand in for a TOTP authenticator: they exist only beside one */
export function createRecoveryCodeMethod(factors: Factors): VerifyingMethod {
  return secondFactor(factors, { id: 'recovery_code', amr: ['otp'], available: (totpOn) => totpOn, check: (f, t, u, code) => f.useRecoveryCode(t, u, code) });
}
