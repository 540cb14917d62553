// send-otp and verify-otp of the backend OTP API (issue #16 §2) as steps of one login transaction: send-otp starts
// it (identified) and the code method's challenge; verify-otp checks the code through the same method the hosted
// phone and email pages use, passes the first factor, lets the tenant's second-factor policy decide, and exchanges
// a completed transaction for tokens at the tenant's own token endpoint (login-transaction grant).
import type { Context } from 'koa';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthMethodRegistry } from '../auth-methods/auth-method-registry.js';
import type { MethodVerifyOutcome } from '../auth-methods/auth-method.js';
import type { Factors } from '../auth-methods/mfa/factors.service.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import type { SmsFactor } from '../auth-methods/mfa/sms-factor.js';
import { challengeEnvelope } from '../auth-methods/login-challenges.js';
import type { UsersService } from '../accounts/users.service.js';
import type { PasskeysRepository } from '../db/passkeys.repository.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import type { LoginTransactions } from '../login/login-transaction.store.js';
import type { CallingApp } from './app-credentials.js';
import type { Answer } from './idempotency.js';
import { redeemLoginAtTokenEndpoint } from './provider-endpoint.js';
import { errorAnswer, tokenAnswer } from './otp-answers.js';

export interface OtpSignInDeps {
  logins: LoginTransactions;
  authMethods: AuthMethodRegistry;
  factors: Factors;
  smsFactor: SmsFactor;
  passkeys: PasskeysRepository;
  users: UsersService;
  audit: AuditLog;
}

/** a transaction lives as long as the hosted second-factor step waits (mfa-gate.ts) */
const transactionSeconds = 900;
const channels = ['sms', 'whatsapp', 'email'] as const;
type Channel = (typeof channels)[number];

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length <= max ? value : null);
const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });

/**
 * Where a code goes, from `{phone | email, channel?}`: the channel defaults to email for an email, SMS for a phone.
 * @throws AppError('request.invalid' | 'otp.invalid_channel')
 */
export function codeDestination(body: Record<string, unknown>): { identifier: string; channel: Channel; kind: 'email' | 'phone' } {
  const phone = body.phone === undefined ? undefined : text(body.phone, 32);
  const email = body.email === undefined ? undefined : text(body.email, 254);
  if ((phone === undefined) === (email === undefined) || phone === null || email === null) throw new AppError('request.invalid', 'Send exactly one of "phone" or "email", as a string.');
  const channel = (body.channel ?? (email !== undefined ? 'email' : 'sms')) as Channel;
  if (!channels.includes(channel) || (channel === 'email') !== (email !== undefined)) throw new AppError('otp.invalid_channel', '"channel" is sms or whatsapp for a phone, email for an email.');
  return { identifier: (phone ?? email)!, channel, kind: email !== undefined ? 'email' : 'phone' };
}

/** the answer to a code a code method did not accept */
export function codeRefusal(outcome: Exclude<MethodVerifyOutcome, { ok: true }>): Answer {
  if (outcome.error === 'wrong') {
    const left = outcome.attemptsLeft;
    return errorAnswer('otp.invalid_code', left === null ? undefined : `That code is not right. ${left === 1 ? '1 attempt' : `${left} attempts`} left.`);
  }
  if (outcome.error === 'rate_limited') return errorAnswer('auth.rate_limited', undefined, outcome.retryAfterSeconds);
  return errorAnswer('otp.expired');
}

export function createOtpSignIn(deps: OtpSignInDeps) {
  const { logins } = deps;

  const enrolledFactors = (tenantId: string, userId: string) => enrolledSecondFactors(deps, tenantId, userId);

  return {
    /** the code's message in the body's `locale`, else Accept-Language, else the tenant's language
     * @throws AppError('request.invalid' | 'otp.invalid_channel' | 'user.invalid_email' | 'user.invalid_phone') */
    async sendOtp(ctx: Context, app: CallingApp, body: Record<string, unknown>): Promise<Answer> {
      const { identifier, channel, kind } = codeDestination(body);
      const method = deps.authMethods.codeMethod(channel);
      if (!method.availableFor(app.tenant)) throw new AppError('otp.invalid_channel');
      const request = messageRequest(ctx, body, app.tenant.settings.texts.defaultLocale);

      const tx = await logins.begin({ tenantId: app.tenant.id, clientId: app.appId, front: 'otp_api', method: method.id, identifier: null, ttlSeconds: transactionSeconds });
      // the app's opt-in to the API is its opt-in to creating users on their first verified sign-in (issue #16 §2)
      const started = await method.start({ tenant: app.tenant, identifier, transactionId: tx.id, request, allowSignUp: true });
      if (!started.ok) {
        await logins.discard(app.tenant.id, tx.id);
        if (started.error === 'rate_limited') return errorAnswer('auth.rate_limited', undefined, started.retryAfterSeconds);
        throw new AppError(kind === 'email' ? 'user.invalid_email' : 'user.invalid_phone');
      }
      await logins.apply(app.tenant.id, tx.id, { type: 'challenge_started', challengeId: started.challengeId }, null);
      return { status: 200, body: { otp_request_id: tx.id, channel, expires_in: Math.max(1, Math.ceil((started.expiresAt - Date.now()) / 1000)) } };
    },

    /** @throws AppError('request.invalid') */
    async verifyOtp(ctx: Context, app: CallingApp, body: Record<string, unknown>): Promise<Answer> {
      const id = text(body.otp_request_id, 64);
      const otp = text(body.otp, 16);
      if (!id || otp === null || !otp) throw new AppError('request.invalid', 'Send "otp_request_id" and "otp" as strings.');
      const { tenant } = app;
      const tx = await logins.get(tenant.id, id);
      if (!tx || tx.clientId !== app.appId || tx.front !== 'otp_api' || tx.state === 'expired' || tx.state === 'failed') return errorAnswer('otp.expired');
      if (tx.state !== 'identified') return errorAnswer('login.invalid_state');
      const method = deps.authMethods.get(tx.method);
      if (!method) return errorAnswer('otp.expired');
      const outcome = await method.verify({ tenant, challengeId: tx.challengeId, transactionId: tx.id, secret: otp, request: requestOf(ctx), allowSignUp: true });
      if (!outcome.ok) {
        if (outcome.error === 'locked') await logins.apply(tenant.id, tx.id, { type: 'failed', reason: 'locked' }, null);
        return codeRefusal(outcome);
      }
      const userId = outcome.userId!;
      const first = await logins.apply(tenant.id, tx.id, { type: 'first_factor_passed', userId, method: method.id, amr: outcome.amr }, null);
      if (!first.ok) return errorAnswer(first.error === 'login.expired' ? 'otp.expired' : 'login.invalid_state');
      const gate = await logins.apply(tenant.id, tx.id, { type: 'second_factor_assessed', enrolledFactors: await enrolledFactors(tenant.id, userId), trustedDevice: false }, tenant.settings.mfa);
      if (!gate.ok) return errorAnswer(gate.error === 'login.expired' ? 'otp.expired' : 'login.invalid_state');
      if (gate.tx.state !== 'completed') {
        // the one challenge envelope of every JSON API (DESIGN.md), answered at /auth/challenge/{id}/… (otp-challenge.ts)
        return { status: 200, body: challengeEnvelope(gate.tx, tenant.issuer) };
      }
      const minted = await redeemLoginAtTokenEndpoint(ctx, tenant.slug, app.provider, tx.id, { clientId: app.appId, clientSecret: app.appSecret });
      if (minted.status !== 200) return errorAnswer('otp.expired');
      const user = await deps.users.findById(tenant.id, userId);
      await deps.audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: userId, subject: userId, ...requestOf(ctx), data: { method: method.id, client: app.appId } });
      return tokenAnswer(minted.body, {
        id: userId, email: user?.email ?? null, phone: user?.phone ?? null, created: outcome.signUp,
      });
    },
  };
}

export type OtpSignIn = ReturnType<typeof createOtpSignIn>;
