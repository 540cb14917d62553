// The backend OTP API at the root, `/auth/…` (issue #16 §2): send-otp, verify-otp, refresh, logout and me. The app
// authenticates with app_id + app_secret in the JSON body; a request carrying an Origin header (a browser) is
// refused before anything else. send-otp, verify-otp and refresh honour an Idempotency-Key (idempotency.ts).
// Tokens come from the tenant's oidc-provider (provider-endpoint.ts): one token system.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import { listClaim } from '../rbac/access-token-check.js';
import { bearerToken, verifyAppAccessToken } from './app-access-token.js';
import { authenticateApp, type CallingApp } from './app-credentials.js';
import { createIdempotency, refreshAnswerSeconds, type Answer } from './idempotency.js';
import { answerInLanguage, errorAnswer, tokenAnswer } from './otp-answers.js';
import { createOtpSignIn } from './otp-sign-in.js';
import { createOtpChallenge } from './otp-challenge.js';
import { callProviderEndpoint } from './provider-endpoint.js';

export const otpApiPrefix = '/auth';

export function otpApiRoutes(services: Services, deps: { secret: string }) {
  const router = new Router({ prefix: otpApiPrefix });
  const idempotency = createIdempotency({ store: services.store, secret: deps.secret });
  const signIn = createOtpSignIn({ logins: services.logins, authMethods: services.authMethods, factors: services.factors, smsFactor: services.smsFactor, passkeys: services.passkeys, users: services.users, audit: services.audit });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    // the app secret belongs on a backend: a browser (which always sends Origin on a cross-site POST) is refused
    if (ctx.get('Origin')) throw new AppError('request.origin_refused');
    await next();
  });

  /** reads the body, authenticates the app, and answers once per Idempotency-Key when `idempotent` */
  function appRoute(route: string, idempotent: boolean, handle: (ctx: Context, app: CallingApp, body: Record<string, unknown>) => Promise<Answer>) {
    return async (ctx: Context) => {
      const read = await readJsonText(ctx);
      if (!read || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
      const body = read.value as Record<string, unknown>;
      const app = await authenticateApp(services.providers, body);
      const handled = async (): Promise<Answer> => {
        try {
          return await handle(ctx, app, body);
        } catch (error) {
          if (error instanceof AppError && error.status < 500) return errorAnswer(error.code, error.message, error.details?.retryAfterSeconds as number | undefined);
          throw error;
        }
      };
      // a refusal in the caller's language, stored so for a retry
      const run = async (): Promise<Answer> => answerInLanguage(ctx, await handled(), app.tenant.settings.texts);
      if (!idempotent) {
        const answer = await run();
        ctx.status = answer.status;
        if (answer.retryAfterSeconds) ctx.set('Retry-After', String(answer.retryAfterSeconds));
        if (answer.status !== 204) ctx.body = answer.body;
        return;
      }
      await idempotency.answer(ctx, `${app.appId}\0${route}`, read.text, run, route === 'refresh' ? refreshAnswerSeconds : undefined);
    };
  }

  router.post('/send-otp', appRoute('send-otp', true, (ctx, app, body) => signIn.sendOtp(ctx, app, body)));
  router.post('/verify-otp', appRoute('verify-otp', true, (ctx, app, body) => signIn.verifyOtp(ctx, app, body)));

  // a challenge_required answer of verify-otp, resolved with the app's credentials (otp-challenge.ts)
  const challenge = createOtpChallenge(services);
  router.post('/challenge/:id/send', appRoute('challenge-send', false, (ctx, app, body) => challenge.send(ctx, app, String(ctx.params.id), body)));
  router.post('/challenge/:id/webauthn/options', appRoute('challenge-options', false, (ctx, app) => challenge.webauthnOptions(ctx, app, String(ctx.params.id))));
  router.post('/challenge/:id/verify', appRoute('challenge-verify', false, (ctx, app, body) => challenge.verify(ctx, app, String(ctx.params.id), body)));

  router.post('/refresh', appRoute('refresh', true, async (ctx, app, body) => {
    if (typeof body.refresh_token !== 'string' || !body.refresh_token || body.refresh_token.length > 512) throw new AppError('request.invalid', 'Send "refresh_token" as a string.');
    // rotation, replay detection (a replayed token revokes the family) and the app's reuse interval: oidc-provider
    const answer = await callProviderEndpoint(ctx, app.tenant.slug, app.provider, '/token', { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: app.appId, client_secret: app.appSecret });
    if (answer.status === 200) return tokenAnswer(answer.body);
    return errorAnswer(answer.status === 401 ? 'app.invalid_credentials' : 'token.invalid_refresh');
  }));

  router.post('/logout', appRoute('logout', false, async (ctx, app, body) => {
    if (typeof body.refresh_token !== 'string' || !body.refresh_token || body.refresh_token.length > 512) throw new AppError('request.invalid', 'Send "refresh_token" as a string.');
    // RFC 7009: revoking a refresh token revokes its grant (oidc-provider's revokeGrantPolicy), so the family ends
    const answer = await callProviderEndpoint(ctx, app.tenant.slug, app.provider, '/token/revocation', { token: body.refresh_token, token_type_hint: 'refresh_token', client_id: app.appId, client_secret: app.appSecret });
    if (answer.status === 200) return { status: 204, body: null };
    return errorAnswer(answer.status === 401 ? 'app.invalid_credentials' : 'request.invalid');
  }));

  router.get('/me', async (ctx) => {
    const token = bearerToken(ctx.get('Authorization'));
    const access = token ? await verifyAppAccessToken(services, token) : null;
    if (!access) {
      ctx.set('WWW-Authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
      throw new AppError('auth.invalid_token');
    }
    const { user, tenant, claims } = access;
    const { rolesClaim, permissionsClaim } = tenant.settings.rbac;
    ctx.body = {
      user: { id: user.id, email: user.email, email_verified: user.emailVerified, phone: user.phone, phone_verified: user.phoneVerified },
      tenant: tenant.slug, app: access.appSlug,
      roles: listClaim(claims, rolesClaim), permissions: listClaim(claims, permissionsClaim),
    };
  });

  return router;
}
