// Step-up over the REST auth API (issue #16 §3): a signed-in user proves a second factor again, now, and gets fresh
// tokens whose access token's `amr` holds that factor and `mfa`. GET /v1/auth/2fa/challenge?method= starts a login
// transaction marked as a step-up (its first factor the token's own sign-in, so an earlier `mfa` does not count) and
// sends the SMS code or gives the WebAuthn options at once; POST /v1/auth/2fa/challenge/{id}/verify answers it and
// redeems it at the token endpoint for the client the Bearer token was issued to.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import { apiMethodName, challengeEnvelope, stepUpMethod, transactionMethod } from '../auth-methods/login-challenges.js';
import type { AppAccess } from '../otp-api/app-access-token.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { requestOf, jsonObject, type RestTwoFactorDeps } from './rest-2fa-subject.js';
import { tokenEndpointSecret } from './rest-client.js';

/** a step-up is answered now or not at all: as long as a WebAuthn ceremony may take */
const stepUpSeconds = 300;
const stepUpMethods = new Set(['totp', 'sms', 'webauthn']);

export function addStepUpRoutes(router: Router, services: Services, deps: Pick<RestTwoFactorDeps, 'bearer' | 'signIn'>) {
  const { logins, loginChallenges } = services;

  /** the client the token was issued to, as the caller of the token endpoint (its secret is the provider's) */
  function appOf(ctx: Context, access: AppAccess): CallingApp {
    const secret = tokenEndpointSecret(access.client);
    if (secret === undefined) throw new AppError('auth.invalid_token');
    return { tenant: ctx.state.tenant!, provider: ctx.state.provider!, client: access.client, appId: access.client.clientId, appSecret: secret, appSlug: access.appSlug };
  }

  router.get('/auth/2fa/challenge', async (ctx) => {
    const access = await deps.bearer(ctx);
    const { tenant, user } = access;
    const name = typeof ctx.query.method === 'string' ? ctx.query.method : '';
    if (!stepUpMethods.has(name)) throw new AppError('request.invalid', 'Send ?method= totp, sms or webauthn.');
    // the SMS in ?locale= (or ?ui_locales=), else Accept-Language, else the tenant's language
    const request = messageRequest(ctx, ctx.query, tenant.settings.texts.defaultLocale);
    const method = transactionMethod(name);
    const enrolled = await enrolledSecondFactors(services, tenant.id, user.id);
    if (!enrolled.includes(method) || !tenant.settings.mfa.factors[method as 'totp' | 'sms' | 'passkey']) throw new AppError('mfa.method_unavailable');

    const tx = await logins.begin({ tenantId: tenant.id, clientId: access.client.clientId, front: 'rest_api', method: stepUpMethod, identifier: null, stepUp: true, ttlSeconds: stepUpSeconds });
    // the token's own sign-in is the first factor; its `mfa` is what this step-up renews, so it is left out
    const amr = (Array.isArray(access.claims.amr) ? access.claims.amr : []).filter((v): v is string => typeof v === 'string' && v !== 'mfa');
    const first = await logins.apply(tenant.id, tx.id, { type: 'first_factor_passed', userId: user.id, method: stepUpMethod, amr }, null);
    // only the asked method is offered; a step-up transaction is asked even under an `off` policy (the machine's stepUp)
    const gate = first.ok ? await logins.apply(tenant.id, tx.id, { type: 'second_factor_assessed', enrolledFactors: [method], trustedDevice: false }, tenant.settings.mfa) : first;
    if (!gate.ok || gate.tx.state !== 'second_factor_required') throw new AppError('login.expired');

    const body: Record<string, unknown> = { challenge: challengeEnvelope(gate.tx, tenant.issuer).challenge };
    try {
      if (method === 'sms') body.expires_in = (await loginChallenges.sendCode(ctx.state.tenant!, gate.tx, 'sms', request)).expiresIn;
      if (method === 'passkey') body.options = await loginChallenges.webauthnOptions(ctx.state.tenant!, gate.tx, ctx.ip);
    } catch (error) {
      // refused (send limits, too many passkey options): a step-up nobody can answer is not kept
      await logins.discard(tenant.id, tx.id);
      throw error;
    }
    ctx.body = body;
  });

  router.post('/auth/2fa/challenge/:id/verify', async (ctx) => {
    const access = await deps.bearer(ctx);
    const body = await jsonObject(ctx);
    const tx = await loginChallenges.open(access.tenant.id, String(ctx.params.id), access.client.clientId, 'rest_api');
    if (tx.method !== stepUpMethod || tx.userId !== access.user.id) throw new AppError('login.expired');
    if (tx.state !== 'second_factor_required') throw new AppError('login.invalid_state');
    // the one method the step-up asked for, unless the caller names it
    const answer = { ...body, method: body.method ?? tx.methods.map(apiMethodName)[0] };
    const passed = await loginChallenges.answer(ctx.state.tenant!, tx, answer, requestOf(ctx));
    const tokens = await deps.signIn.finish(ctx, appOf(ctx, access), passed);
    ctx.status = tokens.status;
    ctx.body = tokens.body;
  });
}
