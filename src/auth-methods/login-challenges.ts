// Answering a login transaction's challenge from a JSON front door (the REST API's /v1/auth/challenge/{id}/… and
// /v1/auth/2fa/challenge/{id}/…, the backend OTP API's /auth/challenge/{id}/…): the one envelope, the names callers
// use, sending an SMS code (or, for `verify_email`, a code to the account's email), WebAuthn options, and checking an
// answer through the method registry (the email's code: email-verification.step.ts, then the second-factor decision). The transaction
// moves on only through its machine (login-transaction.machine.ts), so every front door answers the same challenge the same way.
//
// API:
//   challengeEnvelope(tx, issuer)                          {status: 'challenge_required', challenge: {id, kind, methods, expires_at, issuer}}
//   createLoginChallenges(deps).open(tenantId, id, clientId, front) → the live transaction   @throws login.expired
//     .sendCode(tenant, tx, method, request) · .webauthnOptions(tenant, tx, ip) · .answer(tenant, tx, body, request)
//     .enrolled(tenant, tx, method, amr)
import type { AuditLog } from '../audit/audit-log.js';
import type { PasskeysRepository } from '../db/passkeys.repository.js';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/error-catalogue.js';
import type { LoginFront, LoginTransaction } from '../login/login-transaction.machine.js';
import type { LoginTransactions } from '../login/login-transaction.store.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { MethodRequest, MethodVerifyOutcome } from './auth-method.js';
import type { AuthMethodRegistry } from './auth-method-registry.js';
import { enrolledSecondFactors } from './mfa/enrolled-factors.js';
import type { Factors } from './mfa/factors.service.js';
import type { SmsFactor } from './mfa/sms-factor.js';
import type { EmailVerificationStep } from './password/email-verification.step.js';
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
  if (tx.state === 'email_verification_required') {
    return { status: 'challenge_required', challenge: { id: tx.id, kind: 'verify_email', methods: ['email'], expires_at: new Date(tx.expiresAt).toISOString(), issuer } };
  }
  const methods = tx.methods.filter((m) => (enrol ? enrollable : answerable).has(m)).map(apiMethodName);
  const kind = enrol ? 'enrol_mfa' : tx.method === stepUpMethod ? 'step_up' : 'mfa';
  return { status: 'challenge_required', challenge: { id: tx.id, kind, methods, expires_at: new Date(tx.expiresAt).toISOString(), issuer } };
}

const rateLimited = (retryAfterSeconds: number) => new AppError('auth.rate_limited', undefined, { retryAfterSeconds });

export interface LoginChallengesDeps {
  logins: LoginTransactions;
  authMethods: AuthMethodRegistry;
  webauthn: WebAuthnService;
  limiter: RateLimiter;
  audit: AuditLog;
  emailVerification: EmailVerificationStep;
  /** what the second-factor decision needs once a verified email lets the sign-in go on */
  factors: Factors;
  smsFactor: SmsFactor;
  passkeys: PasskeysRepository;
}

const refusedCode = (outcome: Exclude<MethodVerifyOutcome, { ok: true }>, sendAgain: ErrorCode): AppError => {
  if (outcome.error === 'rate_limited') return rateLimited(outcome.retryAfterSeconds);
  if (outcome.error === 'wrong') {
    const left = outcome.attemptsLeft;
    return new AppError('otp.invalid_code', left === null ? undefined : `That code is not right. ${left === 1 ? '1 attempt' : `${left} attempts`} left.`);
  }
  return new AppError(sendAgain);
};

export function createLoginChallenges(deps: LoginChallengesDeps) {
  const { logins } = deps;

  /**
   * the code sent to the account's email for a `verify_email` challenge: right → the email is verified and the
   * tenant's second-factor policy decides (tokens, or the next challenge, e.g. mfa)
   */
  async function answerEmail(tenant: CourierTenant, tx: LoginTransaction, code: string, request: MethodRequest): Promise<LoginTransaction> {
    const outcome = await deps.emailVerification.check(tenant, tx, code, request);
    // a code that is gone (used, expired, too many wrong, never sent): send another; the sign-in itself still waits
    if (!outcome.ok) throw refusedCode(outcome, 'otp.expired');
    const proven = await logins.apply(tenant.id, tx.id, { type: 'email_verified', amr: outcome.amr }, null);
    if (!proven.ok) throw new AppError(proven.error === 'login.invalid_transition' ? 'login.invalid_state' : 'login.expired');
    const userId = proven.tx.userId!;
    const gate = await logins.apply(tenant.id, tx.id, { type: 'second_factor_assessed', enrolledFactors: await enrolledSecondFactors(deps, tenant.id, userId), trustedDevice: false }, tenant.settings.mfa);
    if (!gate.ok) throw new AppError('login.expired');
    return gate.tx;
  }

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

    /**
     * `sms`: a code to the SMS factor of a second-factor challenge; `email`: a code to the account's email of a verify_email challenge
     * @throws AppError('request.invalid' | 'login.invalid_state' | 'auth.rate_limited' | 'login.expired')
     */
    async sendCode(tenant: CourierTenant, tx: LoginTransaction, name: unknown, request: MethodRequest): Promise<{ expiresIn: number }> {
      if (name !== 'sms' && name !== 'email') throw new AppError('request.invalid', 'Send "method": "sms" (a second factor) or "email" (a verify_email challenge): the methods that send a code.');
      if (name === 'sms') waitingFor(tx, 'sms');
      else if (tx.state !== 'email_verification_required') throw new AppError('login.invalid_state');
      const started = name === 'email'
        ? await deps.emailVerification.send(tenant, tx, request)
        : await deps.authMethods.methods.sms.start!({ tenant, identifier: '', userId: tx.userId, transactionId: tx.id, request });
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
     * `{method, code}` or `{method: 'webauthn', credential}` for the waiting transaction; right → it moves on (completed);
     * `{method: 'email', code}` for a verify_email challenge → the second-factor decision: completed or the next challenge
     * @throws AppError('request.invalid' | 'login.invalid_state' | 'otp.invalid_code' | 'otp.expired' | 'webauthn.failed' | 'auth.rate_limited' | 'login.expired')
     */
    async answer(tenant: CourierTenant, tx: LoginTransaction, body: Record<string, unknown>, request: MethodRequest): Promise<LoginTransaction> {
      const method = transactionMethod(typeof body.method === 'string' ? body.method : '');
      if (method === 'email' && tx.state === 'email_verification_required') {
        if (typeof body.code !== 'string' || !body.code || body.code.length > 64) throw new AppError('request.invalid', 'Send "code" as a string.');
        return answerEmail(tenant, tx, body.code, request);
      }
      if (!answerable.has(method)) throw new AppError('request.invalid', 'Send "method": one of totp, sms, webauthn or recovery_code (email for a verify_email challenge).');
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
        if (outcome.error === 'wrong' && method === 'passkey') throw new AppError('webauthn.failed');
        // an SMS code that is gone (used, expired, too many wrong): send another; the sign-in itself still waits
        throw refusedCode(outcome, method === 'sms' ? 'otp.expired' : 'login.expired');
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
