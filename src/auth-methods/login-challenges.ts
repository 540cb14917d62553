// Answering a login transaction's challenge from a JSON front door (the REST API's /v1/auth/challenge/{id}/… and
// /v1/auth/2fa/challenge/{id}/…, the backend OTP API's /auth/challenge/{id}/…): the one envelope, the names callers
// use, sending an SMS code, WebAuthn options, and checking an answer through the method registry. The transaction
// moves on only through its machine (login-transaction.machine.ts), so every front door answers the same challenge the same way.
//
// API:
//   challengeEnvelope(tx, issuer)                          {status: 'challenge_required', challenge: {id, kind, methods, expires_at, issuer}}
//   createLoginChallenges(deps).open(tenantId, id, clientId, front) → the live transaction   @throws login.expired
//     .sendCode(tenant, tx, method, request) · .webauthnOptions(tenant, tx, ip) · .answer(tenant, tx, body, request)
//     .enrolled(tenant, tx, method, amr)
import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../errors/app-error.js';
import type { LoginFront, LoginTransaction } from '../login/login-transaction.machine.js';
import type { LoginTransactions } from '../login/login-transaction.store.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { MethodRequest } from './auth-method.js';
import type { AuthMethodRegistry } from './auth-method-registry.js';
import { passkeyFactorOptions } from './passkeys/passkey-factor.method.js';
import { createPasskeyGuard, passkeyLimits } from './passkeys/passkey-guard.js';
import type { WebAuthnService } from './passkeys/webauthn.service.js';

/** the transaction's method ids as callers name them: a passkey is `webauthn` in the JSON APIs */
export const apiMethodName = (method: string) => (method === 'passkey' ? 'webauthn' : method);
export const transactionMethod = (name: string) => (name === 'webauthn' ? 'passkey' : name);
/** what a JSON caller can answer: a code by email as a second factor is the hosted page's alone */
const answerable: ReadonlySet<string> = new Set(['totp', 'sms', 'passkey', 'recovery_code']);
/** what a JSON caller can enrol while enrolment is required (recovery codes come with the first factor) */
const enrollable: ReadonlySet<string> = new Set(['totp', 'sms', 'passkey']);

/** the transaction method a step-up is started with (rest-step-up.routes.ts) */
export const stepUpMethod = 'step_up';

/** the one challenge envelope of every JSON API (DESIGN.md); methods are the ones this user can really use here */
/** `issuer`: the issuer (from PUBLIC_URL) of the tenant or environment whose transaction this is, where it is answered (issue #19) */
export function challengeEnvelope(tx: LoginTransaction, issuer: string) {
  const enrol = tx.state === 'enrolment_required';
  const methods = tx.methods.filter((m) => (enrol ? enrollable : answerable).has(m)).map(apiMethodName);
  const kind = enrol ? 'enrol_mfa' : tx.method === stepUpMethod ? 'step_up' : 'mfa';
  return { status: 'challenge_required', challenge: { id: tx.id, kind, methods, expires_at: new Date(tx.expiresAt).toISOString(), issuer } };
}

const rateLimited = (retryAfterSeconds: number) => new AppError('auth.rate_limited', undefined, { retryAfterSeconds });

export function createLoginChallenges(deps: { logins: LoginTransactions; authMethods: AuthMethodRegistry; webauthn: WebAuthnService; limiter: RateLimiter; audit: AuditLog }) {
  const { logins } = deps;

  function waitingFor(tx: LoginTransaction, method: string) {
    if (tx.state !== 'second_factor_required' || !tx.methods.includes(method)) throw new AppError('login.invalid_state');
  }

  return {
    /**
     * the transaction `id` started by `clientId` at `front` (or one of several); a foreign, unknown, expired or failed one reads as expired
     * (a completed one is returned: answering it again is the wrong step, login.invalid_state)
     */
    async open(tenantId: string, id: string, clientId: string, front: LoginFront | readonly LoginFront[]): Promise<LoginTransaction> {
      const tx = await logins.get(tenantId, id);
      if (!tx || tx.clientId !== clientId || !(typeof front === 'string' ? [front] : front).includes(tx.front) || tx.state === 'expired' || tx.state === 'failed') throw new AppError('login.expired');
      return tx;
    },

    /** @throws AppError('request.invalid' | 'login.invalid_state' | 'auth.rate_limited' | 'login.expired') */
    async sendCode(tenant: CourierTenant, tx: LoginTransaction, name: unknown, request: MethodRequest): Promise<{ expiresIn: number }> {
      if (name !== 'sms') throw new AppError('request.invalid', 'Send "method": "sms": it is the method that sends a code.');
      waitingFor(tx, 'sms');
      const started = await deps.authMethods.methods.sms.start!({ tenant, identifier: '', userId: tx.userId, transactionId: tx.id, request });
      if (!started.ok) throw started.error === 'rate_limited' ? rateLimited(started.retryAfterSeconds) : new AppError('login.invalid_state');
      const moved = await logins.apply(tenant.id, tx.id, { type: 'challenge_started', challengeId: started.challengeId }, null);
      if (!moved.ok) throw new AppError('login.expired');
      return { expiresIn: Math.max(1, Math.ceil((started.expiresAt - Date.now()) / 1000)) };
    },

    /** options for navigator.credentials.get answering this transaction @throws AppError('login.invalid_state' | 'auth.rate_limited') */
    async webauthnOptions(tenant: CourierTenant, tx: LoginTransaction, ip: string) {
      waitingFor(tx, 'passkey');
      if (!(await createPasskeyGuard(deps.limiter, tenant.id).mayIssue(ip))) throw rateLimited(passkeyLimits.options.windowSeconds);
      return passkeyFactorOptions(deps.webauthn, tenant, tx.id, tx.userId!, tx.amr);
    },

    /**
     * `{method, code}` or `{method: 'webauthn', credential}` for the waiting transaction; right → it moves on (completed)
     * @throws AppError('request.invalid' | 'login.invalid_state' | 'otp.invalid_code' | 'otp.expired' | 'webauthn.failed' | 'auth.rate_limited' | 'login.expired')
     */
    async answer(tenant: CourierTenant, tx: LoginTransaction, body: Record<string, unknown>, request: MethodRequest): Promise<LoginTransaction> {
      const method = transactionMethod(typeof body.method === 'string' ? body.method : '');
      if (!answerable.has(method)) throw new AppError('request.invalid', 'Send "method": one of totp, sms, webauthn or recovery_code.');
      const secret = method === 'passkey'
        ? (body.credential && typeof body.credential === 'object' && !Array.isArray(body.credential) ? JSON.stringify(body.credential) : null)
        : (typeof body.code === 'string' && body.code.length > 0 && body.code.length <= 64 ? body.code : null);
      if (!secret) throw new AppError('request.invalid', method === 'passkey' ? 'Send "credential": the AuthenticationResponseJSON of navigator.credentials.get.' : 'Send "code" as a string.');
      waitingFor(tx, method);
      const outcome = await deps.authMethods.get(method)!.verify({ tenant, userId: tx.userId, challengeId: tx.challengeId, transactionId: tx.id, secret, request });
      const subject = tx.userId!;
      if (!outcome.ok) {
        if (outcome.error === 'rate_limited') {
          await deps.audit.record({ tenantId: tenant.id, type: 'mfa.locked', subject, ...request, outcome: 'failure', data: { factor: method, front: tx.front } });
          throw rateLimited(outcome.retryAfterSeconds);
        }
        await deps.audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject, ...request, outcome: 'failure', data: { factor: method, front: tx.front } });
        if (outcome.error === 'wrong') {
          if (method === 'passkey') throw new AppError('webauthn.failed');
          const left = outcome.attemptsLeft;
          throw new AppError('otp.invalid_code', left === null ? undefined : `That code is not right. ${left === 1 ? '1 attempt' : `${left} attempts`} left.`);
        }
        // an SMS code that is gone (used, expired, too many wrong): send another; the sign-in itself still waits
        throw new AppError(method === 'sms' ? 'otp.expired' : 'login.expired');
      }
      const passed = await logins.apply(tenant.id, tx.id, { type: 'second_factor_passed', method, amr: outcome.amr }, null);
      if (!passed.ok) throw new AppError(passed.error === 'login.invalid_transition' ? 'login.invalid_state' : 'login.expired');
      await deps.audit.record({ tenantId: tenant.id, type: 'mfa.succeeded', actor: subject, subject, ...request, data: { factor: method, front: tx.front } });
      return passed.tx;
    },

    /** the factor `method` was enrolled and proven for an enrolment-required transaction: it completes */
    async enrolled(tenantId: string, tx: LoginTransaction, method: string, amr: readonly string[]): Promise<LoginTransaction> {
      if (tx.state !== 'enrolment_required' || !tx.methods.includes(method)) throw new AppError('login.invalid_state');
      const done = await logins.apply(tenantId, tx.id, { type: 'enrolled', method, amr }, null);
      if (!done.ok) throw new AppError(done.error === 'login.invalid_transition' ? 'login.invalid_state' : 'login.expired');
      return done.tx;
    },
  };
}

export type LoginChallenges = ReturnType<typeof createLoginChallenges>;
