// The steps of a login challenge that come before its answer (issue #16 §3), for the app that started the sign-in:
// POST /v1/auth/challenge/{id}/send {method: "sms"} sends a code to the account's SMS factor, and
// POST /v1/auth/challenge/{id}/webauthn/options gives the options for navigator.credentials.get. The answer itself
// is POST /v1/auth/challenge/{id}/verify (rest-sign-in.ts); all three run on login/login-challenges.ts.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { stepUpMethod } from '../auth-methods/login-challenges.js';
import { jsonObject, type RestTwoFactorDeps } from './rest-2fa-subject.js';

export function addLoginChallengeRoutes(router: Router, services: Services, deps: Pick<RestTwoFactorDeps, 'clients' | 'signIn'>) {
  const { loginChallenges } = services;

  /** the calling app's own live sign-in `id` (a step-up is the token user's, rest-step-up.routes.ts) */
  async function signInOf(ctx: Context, body: Record<string, unknown>) {
    const app = await deps.clients.identify(ctx, ctx.state.tenant!, body);
    const tx = await deps.signIn.open(app, String(ctx.params.id));
    if (tx.method === stepUpMethod) throw new AppError('login.expired');
    return { app, tx };
  }

  router.post('/auth/challenge/:id/send', async (ctx) => {
    const body = await jsonObject(ctx);
    const { app, tx } = await signInOf(ctx, body);
    const sent = await loginChallenges.sendCode(app.tenant, tx, body.method, messageRequest(ctx, body, app.tenant.settings.texts.defaultLocale));
    ctx.status = 202;
    ctx.body = { status: 'code_sent', expires_in: sent.expiresIn };
  });

  router.post('/auth/challenge/:id/webauthn/options', async (ctx) => {
    const body = await jsonObject(ctx);
    const { app, tx } = await signInOf(ctx, body);
    ctx.body = { options: await loginChallenges.webauthnOptions(app.tenant, tx, ctx.ip) };
  });
}
