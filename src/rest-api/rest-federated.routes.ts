// Social sign-in through the REST auth API (issue #16 §3), the shape of Supabase Auth's `/authorize?provider=`:
// the app sends the browser to GET /v1/auth/authorize?provider=<connection>&redirect_to=<registered URI>
// [&client_id=<app>]; Tessera sends it on to the upstream (state bound to this browser by a cookie, PKCE, nonce:
// upstream-redirect.ts), checks the answer at the tenant's one callback as for the hosted page, and sends the browser
// back to `redirect_to` with `type=federated&token=…`; the app's page there answers POST /v1/auth/federated/verify
// {token} and gets tokens, or the challenge envelope. The token is single use (kept hashed, 5 minutes) and works
// only for the app whose sign-in it ends; which account the upstream profile opens is decided as on the hosted page
// (account-linking.ts), except that proving an existing account is not offered here (federated.link_required).
// PKCE (rest-pkce.ts): `code_challenge` + `code_challenge_method=S256` on the authorize URL bind the token to the
// holder of the `code_verifier` (the page that started, in its storage); the tenant's headless.requirePkce makes that
// the only way. The upstream leg has its own PKCE, Tessera's (upstream-redirect.ts).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { requestInfo } from '../http/request-info.js';
import { createUpstreamRedirect } from '../auth-methods/federated/upstream-redirect.js';
import type { MethodVerifyOutcome } from '../auth-methods/auth-method.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import type { RestClients } from './rest-client.js';
import { registeredRedirectUris } from './rest-magic-link.routes.js';
import { requestOf, withUser, type RestAccountKit } from './rest-account-kit.js';
import { codeChallengeOf, pkceRefused, verifierRefusal } from './rest-pkce.js';

const transactionSeconds = 900;
const query = (ctx: Context, name: string, max: number): string | null => {
  const value = ctx.query[name];
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
};

/** what a refused upstream sign-in answers */
function refusal(outcome: Exclude<MethodVerifyOutcome, { ok: true }>) {
  if (outcome.error !== 'refused') return errorAnswer('federated.invalid');
  return errorAnswer(outcome.reason === 'link_required' ? 'federated.link_required' : outcome.reason === 'sign_up_closed' ? 'signup.disabled' : 'federated.not_allowed');
}

export function addFederatedRoutes(router: Router, kit: RestAccountKit, clients: RestClients) {
  const { services, signIn } = kit;
  const method = services.authMethods.methods.federated;
  const upstream = createUpstreamRedirect({ connections: services.connections, federation: services.federation, publicOrigin: services.config.publicUrl.origin, https: services.config.publicUrl.protocol === 'https:' });

  /** the app named by `client_id` (a public identifier here: the secret stays on the app's server), else the built-in client */
  async function appOf(ctx: Context) {
    const tenant = ctx.state.tenant!;
    const provider = ctx.state.provider!;
    if (ctx.query.client_id === undefined) return clients.builtIn(tenant, provider);
    const clientId = query(ctx, 'client_id', 200);
    const client = clientId ? await provider.Client.find(clientId) : undefined;
    const app = client as unknown as { headless?: boolean; app_slug?: string } | undefined;
    if (!client || !app?.headless || !app.app_slug) throw new AppError('app.invalid_credentials', 'client_id does not name a headless app of this tenant.');
    return { tenant, client, appId: clientId!, appSlug: app.app_slug };
  }

  // a browser navigation, not a JSON call: errors still answer {error, message}
  router.get('/auth/authorize', async (ctx) => {
    const provider = query(ctx, 'provider', 100);
    const redirectTo = query(ctx, 'redirect_to', 500);
    if (!provider || !redirectTo) throw new AppError('request.invalid', 'Send "provider" and "redirect_to" as query parameters.');
    const app = await appOf(ctx);
    const { tenant } = app;
    if (!registeredRedirectUris(app).includes(redirectTo)) throw new AppError('rest.redirect_not_allowed');
    if (!method.availableFor(tenant) || !tenant.settings.connections[provider]?.enabled) throw new AppError('federated.unknown_provider');
    const codeChallenge = codeChallengeOf({ code_challenge: ctx.query.code_challenge, code_challenge_method: ctx.query.code_challenge_method }, tenant.settings.headless.requirePkce);
    const tx = await services.logins.begin({ tenantId: tenant.id, clientId: app.appId, front: 'rest_api', method: method.id, identifier: null, codeChallenge, ttlSeconds: transactionSeconds });
    const sent = await upstream.redirect(ctx, ctx.state.tenant!, provider, { purpose: 'rest', uid: tx.id, userId: null, redirectTo });
    if (sent.ok) return;
    await services.logins.discard(tenant.id, tx.id);
    if (sent.failure === 'unknown_connection') throw new AppError('federated.unknown_provider');
    await services.audit.record({ tenantId: tenant.id, type: 'federation.failed', ...requestInfo(ctx), outcome: 'failure', data: { connection: provider, reason: sent.failure, detail: sent.detail } });
    throw new AppError('federated.upstream_failed');
  });

  router.post('/auth/federated/verify', kit.idempotent('federated/verify', async (ctx, app, body) => {
    // `auth_code` is what Supabase's PKCE exchange names it
    const token: unknown = body.token ?? body.auth_code;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token) || (body.type !== undefined && body.type !== 'federated')) throw new AppError('request.invalid', 'Send "token" from the redirect (and "type", if at all, as "federated").');
    const { tenant } = app;
    const result = await services.federation.peekResult(tenant.id, token);
    const tx = result ? await services.logins.get(tenant.id, result.uid) : null;
    // another app's result, a hosted sign-in's, or one whose sign-in moved on: not valid here (and left unused)
    if (!tx || tx.clientId !== app.appId || tx.front !== 'rest_api' || tx.method !== method.id || tx.state !== 'identified') return errorAnswer('federated.invalid');
    // before the method takes the result: a refused verifier spends nothing
    const refused = verifierRefusal(tx, body.code_verifier, { requirePkce: tenant.settings.headless.requirePkce });
    if (refused) return pkceRefused(ctx, services, tenant.id, method.id, refused);
    const outcome = await method.verify({ tenant, secret: token, transactionId: tx.id, request: requestOf(ctx) });
    if (!outcome.ok) {
      await services.logins.apply(tenant.id, tx.id, { type: 'failed', reason: 'refused' }, null);
      return refusal(outcome);
    }
    const answer = await signIn.firstFactorPassed(ctx, app, tx.id, { userId: outcome.userId!, method: method.id, amr: outcome.amr });
    return withUser(services, tenant.id, answer, outcome.userId!, outcome.signUp);
  }));
}
