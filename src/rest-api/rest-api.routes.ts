// The REST auth API under each tenant's issuer, `{issuer}/v1/…` (issue #16 §3): login (password, then the
// challenge envelope when a second factor is due), challenge verify, refresh, logout, whoami and effective
// permissions; sign-up, passwordless sign-in (codes, links) and recovery live in rest-signup/rest-otp/rest-magic-link/rest-recovery.routes.ts. Off until the tenant sets headless.restApi; a browser may call it only from an origin in
// headless.allowedOrigins or in the allowed_origins of the app it names (CORS, rest-cors.ts). Tokens come from the tenant's oidc-provider (provider-endpoint.ts): refresh
// rotation, replay detection and revocation are the standard token endpoint's.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import { listClaim } from '../rbac/access-token-check.js';
import { permissionsAudience } from '../rbac/permissions-audience.js';
import { bearerToken, verifyAppAccessToken, type AppAccess } from '../otp-api/app-access-token.js';
import { callProviderEndpoint } from '../otp-api/provider-endpoint.js';
import { createRestClients } from './rest-client.js';
import { approveOriginFor, assertOriginSettled, checkOrigin } from './rest-cors.js';
import { addTwoFactorSurface } from './rest-2fa-surface.js';
import { createRestEnvironments } from './rest-environments.js';
import { createRestSignIn, restTokens, type RestAnswer } from './rest-sign-in.js';
import { createIdempotentRoutes } from './rest-idempotent-route.js';
import { createCodePointers } from './rest-code-pointers.js';
import type { RestAccountKit } from './rest-account-kit.js';
import { addOtpRoutes } from './rest-otp.routes.js';
import { addMagicLinkRoutes } from './rest-magic-link.routes.js';
import { addFederatedRoutes } from './rest-federated.routes.js';
import { addSignUpRoutes } from './rest-signup.routes.js';
import { addRecoveryRoutes } from './rest-recovery.routes.js';
import type { CallingApp } from '../otp-api/app-credentials.js';

export const restApiPrefix = '/t/:slug/v1';
/** the gate and CORS (rest-cors.ts): off → rest.disabled; an Origin neither the tenant nor the app registers → rest.origin_not_allowed */
function gateFor(services: Services) {
  return async (ctx: Context, next: Next) => {
    const tenant = ctx.state.tenant!;
    ctx.set('Cache-Control', 'no-store');
    if (!tenant.settings.headless.restApi) throw new AppError('rest.disabled');
    if (await checkOrigin(ctx, tenant.settings.headless.allowedOrigins, () => services.clientAdmin.appOrigins(tenant.id))) return;
    await next();
    assertOriginSettled(ctx);
  };
}

export function restApiRoutes(services: Services) {
  const router = new Router({ prefix: restApiPrefix });
  const clients = createRestClients(services);
  const signIn = createRestSignIn(services);
  const environments = createRestEnvironments(services, clients);

  router.use(gateFor(services));
  // a preflight for any path of the API is answered by the gate
  router.options('/{*path}', () => undefined);

  function send(ctx: Context, answer: RestAnswer) {
    ctx.status = answer.status;
    if (answer.body) ctx.body = answer.body;
  }

  /** reads the JSON body and identifies the calling app */
  function appRoute(handle: (ctx: Context, app: CallingApp, body: Record<string, unknown>) => Promise<RestAnswer>) {
    return async (ctx: Context) => {
      const read = await readJsonText(ctx);
      if (!read || !read.value || typeof read.value !== 'object' || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
      const body = read.value as Record<string, unknown>;
      send(ctx, await handle(ctx, await clients.identify(ctx, ctx.state.tenant!, body), body));
    };
  }

  /** the user of a Bearer access token issued by this tenant to a headless app */
  async function bearer(ctx: Context): Promise<AppAccess> {
    const token = bearerToken(ctx.get('Authorization'));
    const access = token ? await verifyAppAccessToken(services, token) : null;
    if (!access || access.tenant.id !== ctx.state.tenant!.id) {
      ctx.set('WWW-Authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
      throw new AppError('auth.invalid_token');
    }
    approveOriginFor(ctx, access.client);
    return access;
  }

  const refreshToken = (body: Record<string, unknown>): string => {
    if (typeof body.refresh_token !== 'string' || !body.refresh_token || body.refresh_token.length > 512) throw new AppError('request.invalid', 'Send "refresh_token" as a string.');
    return body.refresh_token;
  };

  router.post('/auth/login', appRoute((ctx, app, body) => signIn.login(ctx, app, body, environments.loginChooser(ctx, app, body))));

  router.post('/auth/switch', appRoute((ctx, app, body) => environments.switchTo(ctx, app, body, signIn.beginPassed)));

  router.get('/environments', async (ctx) => {
    ctx.body = await environments.list(await bearer(ctx));
  });

  router.post('/auth/challenge/:id/verify', appRoute((ctx, app, body) => signIn.verifyChallenge(ctx, app, ctx.params.id!, body)));

  const idempotent = createIdempotentRoutes(services, clients);

  router.post('/auth/refresh', idempotent('refresh', async (ctx, app, body) => {
    // rotation, replay detection (a replayed token revokes the family) and the client's reuse interval: oidc-provider
    const answer = await callProviderEndpoint(ctx, app.tenant.slug, app.provider, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken(body), client_id: app.appId, client_secret: app.appSecret });
    if (answer.status !== 200) throw new AppError('token.invalid_refresh');
    return restTokens(app, answer, Date.now());
  }));

  router.post('/auth/logout', appRoute(async (ctx, app, body) => {
    // RFC 7009: revoking a refresh token revokes its grant, so the family and the session's grant end
    const answer = await callProviderEndpoint(ctx, app.tenant.slug, app.provider, '/token/revocation', { token: refreshToken(body), token_type_hint: 'refresh_token', client_id: app.appId, client_secret: app.appSecret });
    if (answer.status !== 200) throw new AppError('request.invalid');
    return { status: 204, body: null };
  }));

  router.get('/whoami', async (ctx) => {
    const { user, tenant, claims, appSlug } = await bearer(ctx);
    const { rolesClaim, permissionsClaim } = tenant.settings.rbac;
    ctx.body = {
      user: { id: user.id, email: user.email, email_verified: user.emailVerified, phone: user.phone, phone_verified: user.phoneVerified },
      tenant: { slug: tenant.slug, name: tenant.name, issuer: tenant.issuer },
      app: appSlug,
      roles: listClaim(claims, rolesClaim), permissions: listClaim(claims, permissionsClaim),
      // RFC 8176 methods and the session's uid (the id the session pages list): claims of login-transaction tokens
      amr: Array.isArray(claims.amr) ? claims.amr : [],
      session: { id: typeof claims.sid === 'string' ? claims.sid : null, auth_time: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000).toISOString() : null, expires_at: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null },
    };
  });

  router.get('/permissions/effective', async (ctx) => {
    const { user, tenant, appSlug } = await bearer(ctx);
    // default: the API the token's permissions are on (the tenant's default API for an app's token)
    const audience = typeof ctx.query.audience === 'string' && ctx.query.audience ? ctx.query.audience.slice(0, 500) : permissionsAudience(appSlug, tenant.settings.defaultResource);
    // as they stand now (the access token holds them as they were when it was issued)
    const { roles, permissions } = await services.rbac.claimsFor(tenant.id, { userId: user.id }, audience);
    ctx.body = { audience, roles, permissions };
  });

  addTwoFactorSurface(router, services, { bearer, clients, signIn });

  // sign-up, passwordless sign-in and recovery (rest-signup / rest-otp / rest-recovery .routes.ts)
  const kit: RestAccountKit = { services, signIn, idempotent, pointers: createCodePointers({ store: services.store, secret: services.config.keyEncryptionKeys[0]! }) };
  addSignUpRoutes(router, kit);
  addOtpRoutes(router, kit);
  addMagicLinkRoutes(router, kit);
  addFederatedRoutes(router, kit, clients);
  addRecoveryRoutes(router, kit);

  return router;
}
