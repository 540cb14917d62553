// The `verify_email` step of a login transaction (signIn.requireVerifiedEmail): a right password of an account whose
// email is unverified leaves the transaction in `email_verification_required` (password.method.ts); the JSON front
// doors then send a code to the account's email and check it here. The code is the hosted page's (purpose `verify`,
// the same message, send limits and per-code attempts, code-challenges.ts), bound to the transaction's id, and is
// checked under the per-email and per-IP guess limits (code-check.ts). A right code proves the email (code-sign-in.ts).
//
// API:
//   createEmailVerificationStep(deps).send(tenant, tx, request) → MethodStartOutcome
//   .check(tenant, tx, code, request) → MethodVerifyOutcome    (amr `otp`: a one-time code by email, RFC 8176)
import type { UsersService } from '../../accounts/users.service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { LoginTransaction } from '../../login/login-transaction.machine.js';
import type { CourierTenant } from '../../notifications/courier.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import type { MethodRequest, MethodStartOutcome, MethodVerifyOutcome } from '../auth-method.js';
import type { AccountLinking } from '../federated/account-linking.js';
import type { CodeChallenges } from '../one-time-codes/code-challenges.js';
import { checkCode } from '../one-time-codes/code-check.js';
import { proveEmail } from '../one-time-codes/code-sign-in.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';

export interface EmailVerificationStepDeps {
  users: UsersService;
  codes: OneTimeCodes;
  challenges: CodeChallenges;
  linking: AccountLinking;
  limiter: RateLimiter;
  audit: AuditLog;
  /** ends an account's sessions (when the proven email unlinks upstream accounts that claimed it unproven) */
  revokeAccount(tenant: { id: string; slug: string }, userId: string): Promise<unknown>;
}

export function createEmailVerificationStep(deps: EmailVerificationStepDeps) {
  /** the account the transaction identified, while its email still waits to be proven */
  async function accountOf(tenant: CourierTenant, tx: LoginTransaction) {
    if (tx.state !== 'email_verification_required' || !tx.userId) return null;
    const user = await deps.users.findById(tenant.id, tx.userId);
    return user && user.email && !user.disabled ? user : null;
  }

  return {
    /** a code to the account's email for transaction `tx` (a resend replaces nothing: each code stands alone) */
    async send(tenant: CourierTenant, tx: LoginTransaction, request: MethodRequest): Promise<MethodStartOutcome> {
      const user = await accountOf(tenant, tx);
      if (!user) return { ok: false, error: 'invalid_identifier' };
      const started = await deps.challenges.start({
        tenant, purpose: 'verify', channel: 'email', identifier: user.email!, interactionUid: tx.id, deliverable: true,
        data: { userId: user.id }, request, subject: user.id,
      });
      if (!started.ok) return { ok: false, error: 'rate_limited', retryAfterSeconds: started.retryAfterSeconds };
      return { ok: true, challengeId: started.challenge.id, expiresAt: started.challenge.expiresAt, identifier: null };
    },

    /** the code sent by send() for this transaction; right → the account's email is verified */
    async check(tenant: CourierTenant, tx: LoginTransaction, code: string, request: MethodRequest): Promise<MethodVerifyOutcome> {
      const user = await accountOf(tenant, tx);
      const challenge = user && tx.challengeId ? await deps.codes.get(tenant.id, tx.challengeId) : null;
      if (!user || !challenge || challenge.purpose !== 'verify' || challenge.interactionUid !== tx.id || challenge.data.userId !== user.id) return { ok: false, error: 'expired' };
      const checked = await checkCode(deps, { tenant, challenge, typed: code, request });
      if (checked.status === 'rate_limited') return { ok: false, error: 'rate_limited', retryAfterSeconds: checked.retryAfterSeconds };
      if (checked.status === 'wrong') return { ok: false, error: 'wrong', attemptsLeft: checked.attemptsLeft };
      if (checked.status !== 'ok') return { ok: false, error: checked.status };
      await proveEmail(deps, tenant.id, user, request, (userId) => deps.revokeAccount(tenant, userId));
      return { ok: true, userId: user.id, identifier: { kind: 'email', value: user.email! }, amr: ['otp'], signUp: false };
    },
  };
}

export type EmailVerificationStep = ReturnType<typeof createEmailVerificationStep>;
