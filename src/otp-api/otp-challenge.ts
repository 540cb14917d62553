// The backend OTP API's side of the challenge envelope (issue #16 §2–3): when verify-otp answers
// `challenge_required`, the app resolves it here with its app_id + app_secret in the body, like every call of this API:
//   POST /auth/challenge/{id}/send {method: "sms"}          a code to the account's SMS factor
//   POST /auth/challenge/{id}/webauthn/options {}           options for navigator.credentials.get
//   POST /auth/challenge/{id}/verify {method, code | credential}   → the token answer of verify-otp
// The same steps as the REST API's (login/login-challenges.ts), on the transaction verify-otp started.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { challengeEnvelope } from '../auth-methods/login-challenges.js';
import { messageRequest } from '../http/request-info.js';
import type { CallingApp } from './app-credentials.js';
import type { Answer } from './idempotency.js';
import { tokenAnswer, errorAnswer } from './otp-answers.js';
import { redeemLoginAtTokenEndpoint } from './provider-endpoint.js';

const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });

export function createOtpChallenge(services: Pick<Services, 'loginChallenges' | 'users' | 'audit'>) {
  const { loginChallenges } = services;
  const open = (app: CallingApp, id: string) => loginChallenges.open(app.tenant.id, id, app.appId, 'otp_api');

  return {
    async send(ctx: Context, app: CallingApp, id: string, body: Record<string, unknown>): Promise<Answer> {
      const sent = await loginChallenges.sendCode(app.tenant, await open(app, id), body.method, messageRequest(ctx, body, app.tenant.settings.texts.defaultLocale));
      return { status: 202, body: { status: 'code_sent', expires_in: sent.expiresIn } };
    },

    async webauthnOptions(ctx: Context, app: CallingApp, id: string): Promise<Answer> {
      return { status: 200, body: { options: await loginChallenges.webauthnOptions(app.tenant, await open(app, id), ctx.ip) } };
    },

    async verify(ctx: Context, app: CallingApp, id: string, body: Record<string, unknown>): Promise<Answer> {
      const tx = await loginChallenges.answer(app.tenant, await open(app, id), body, requestOf(ctx));
      // an answered verify_email challenge may lead to the next one (mfa): the same envelope again
      if (tx.state !== 'completed') return { status: 200, body: challengeEnvelope(tx, app.tenant.issuer) };
      const minted = await redeemLoginAtTokenEndpoint(ctx, app.tenant.slug, app.provider, tx.id, { clientId: app.appId, clientSecret: app.appSecret });
      if (minted.status !== 200) return errorAnswer('login.expired');
      const user = await services.users.findById(app.tenant.id, tx.userId!);
      await services.audit.record({ tenantId: app.tenant.id, type: 'login.succeeded', actor: tx.userId!, subject: tx.userId!, ...requestOf(ctx), data: { method: tx.method, amr: tx.amr, client: app.appId, front: 'otp_api' } });
      return tokenAnswer(minted.body, { id: tx.userId, email: user?.email ?? null, phone: user?.phone ?? null, created: false });
    },
  };
}
