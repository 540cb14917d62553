// The code methods (email, SMS, WhatsApp) as one AuthMethod each, over the existing services: send limits and
// delivery (code-challenges.ts), hashed single-use codes with per-code attempt limits (one-time-codes.ts), and the
// account an accepted code signs in (code-sign-in.ts). Unknown and known identifiers get the same answer: a code
// for an identifier that may not sign in is issued but never sent.
import { type UsersService } from '../../accounts/users.service.js';
import { normaliseEmail } from '../../validation/email-address.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import type { CourierTenant } from '../../notifications/courier.js';
import { normalisePhone } from '../../validation/phone-number.js';
import type { AuthMethod, MethodStartInput, MethodStartOutcome, MethodVerifyInput, MethodVerifyOutcome } from '../auth-method.js';
import type { AccountLinking } from '../federated/account-linking.js';
import type { CodeChallenges } from './code-challenges.js';
import { checkCode } from './code-check.js';
import { accountForCode, amrOfCode, type RevokeAccount } from './code-sign-in.js';
import type { ChallengeChannel, OneTimeCodes } from './one-time-codes.js';

export interface CodeMethodDeps {
  limiter: RateLimiter;
  users: UsersService;
  codes: OneTimeCodes;
  challenges: CodeChallenges;
  linking: AccountLinking;
  audit: AuditLog;
  /** ends an account's sessions in a tenant (when an email proven here unlinks upstream accounts) */
  revokeAccount(tenant: { id: string; slug: string }, userId: string): Promise<unknown>;
}

export interface CodeMethodOptions {
  id: string;
  channel: ChallengeChannel;
  amr: readonly string[];
  availableFor(tenant: CourierTenant): boolean;
  loginPage: AuthMethod['loginPage'];
}

export interface CodeMethod extends AuthMethod {
  start(input: MethodStartInput): Promise<MethodStartOutcome>;
  verify(input: MethodVerifyInput): Promise<MethodVerifyOutcome>;
}

export function createCodeMethod(deps: CodeMethodDeps, options: CodeMethodOptions): CodeMethod {
  const kind = options.channel === 'email' ? 'email' : 'phone';
  const allowSignUp = (tenant: CourierTenant, asked: boolean | undefined) => asked ?? tenant.settings.signIn.signUp;
  return {
    id: options.id,
    amr: options.amr,
    factor: 'first',
    availableFor: options.availableFor,
    loginPage: options.loginPage,

    async start({ tenant, identifier: typed, transactionId, request, allowSignUp: asked }) {
      const identifier = kind === 'email' ? normaliseEmail(typed.slice(0, 254)) : normalisePhone(typed.slice(0, 32));
      if (!identifier) return { ok: false, error: 'invalid_identifier' };
      const user = kind === 'email' ? await deps.users.findByEmail(tenant.id, identifier) : await deps.users.findByPhone(tenant.id, identifier);
      const started = await deps.challenges.start({
        tenant, purpose: 'login', channel: options.channel, identifier, interactionUid: transactionId,
        deliverable: user ? !user.disabled : allowSignUp(tenant, asked),
        data: { signUp: !user }, request, subject: user?.id ?? deps.audit.pseudonym(tenant.id, identifier),
      });
      if (!started.ok) return { ok: false, error: 'rate_limited', retryAfterSeconds: started.retryAfterSeconds };
      return { ok: true, challengeId: started.challenge.id, expiresAt: started.challenge.expiresAt, identifier: { kind, value: identifier } };
    },

    async verify({ tenant, challengeId, transactionId, secret, request, allowSignUp: asked }) {
      const challenge = challengeId ? await deps.codes.get(tenant.id, challengeId) : null;
      if (!challenge || !transactionId || challenge.interactionUid !== transactionId || challenge.purpose !== 'login') return { ok: false, error: 'expired' };
      const check = await checkCode(deps, { tenant, challenge, typed: secret, request });
      if (check.status === 'rate_limited') return { ok: false, error: 'rate_limited', retryAfterSeconds: check.retryAfterSeconds };
      if (check.status === 'wrong') return { ok: false, error: 'wrong', attemptsLeft: check.attemptsLeft };
      if (check.status === 'locked') return { ok: false, error: 'locked' };
      if (check.status === 'expired') return { ok: false, error: 'expired' };
      const revoke: RevokeAccount = (userId) => deps.revokeAccount(tenant, userId);
      const account = await accountForCode(deps, { tenantId: tenant.id, challenge: check.challenge, allowSignUp: allowSignUp(tenant, asked), request, revoke });
      // no account and none may be made: the same answer as a used code
      if (!account || account.user.disabled) return { ok: false, error: 'expired' };
      return { ok: true, userId: account.user.id, identifier: { kind, value: check.challenge.identifier }, amr: amrOfCode(check.challenge), signUp: account.created };
    },
  };
}
