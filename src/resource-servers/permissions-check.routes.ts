// POST /t/{slug}/permissions/check (issue #6): for a resource server that would rather ask than verify JWTs
// itself. Checks an access token against the tenant's own keys, in this process (no HTTP to ourselves), with
// the same rules as the guard (access-token-check.ts), and says which of the wanted permissions it lacks.
// A bad token is `{active: false}` like RFC 7662 §2.2; only bad input is an error.
import Router from '@koa/router';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { TenantProviders } from '../oidc/tenant-providers.js';
import { publicJwks, type SigningKeys } from '../tenants/signing-keys.js';
import type { RevokedAccessTokens } from '../oidc/revoked-access-tokens.js';
import type { RateLimiter, RateRule } from '../store/rate-limiter.js';
import { slugPattern } from '../tenants/tenants.service.js';
import { listClaim, missingPermissions, verifyAccessToken } from '../rbac/access-token-check.js';
import { validate } from '../validation/validate.js';
import { forPaths, type PathGate } from '../http/path-gate.js';

/** generous: one call per API request is the intended use; the limit only stops floods (per tenant and IP) */
const checkPath = /\/permissions\/check\/?$/i;

export const checkLimit: RateRule = { limit: 3000, windowSeconds: 60 };

// a space-delimited string is accepted too: a form field, or a scope-like list
const permissionList = z.preprocess((v) => (typeof v === 'string' ? v.split(' ').filter(Boolean) : v),
  z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'a permission is 1–100 visible ASCII characters without spaces, quotes or backslashes')).max(100));
const checkRequest = z.object({
  token: z.string().min(1, 'token is required').max(16_384),
  audience: z.url({ error: 'audience is the API identifier, an absolute URI' }).max(300),
  permissions: permissionList.default([]),
});

export function permissionsCheckRoutes(deps: { providers: TenantProviders; keys: SigningKeys; limiter: RateLimiter; revokedAccessTokens: RevokedAccessTokens }): PathGate {
  // A provider instance is rebuilt whenever the tenant's keys change, so its key set is cached with it.
  const keySets = new WeakMap<Provider, Promise<JWTVerifyGetKey>>();
  async function tenantKeys(provider: Provider, tenantId: string): Promise<JWTVerifyGetKey> {
    let keys = keySets.get(provider);
    if (!keys) {
      keys = deps.keys.loadJwks(tenantId).then(({ jwks }) => createLocalJWKSet(publicJwks(jwks)));
      keys.catch(() => keySets.delete(provider));
      keySets.set(provider, keys);
    }
    return keys;
  }

  const router = new Router();
  router.post('/t/:tenant/permissions/check', koaBody({ json: true, urlencoded: true, multipart: false, text: false, jsonLimit: '32kb', formLimit: '32kb' }), async (ctx) => {
    const slug = ctx.params.tenant!;
    const resolved = slugPattern.test(slug) ? await deps.providers.get(slug) : null;
    if (!resolved) throw new AppError('tenant.not_found');
    const { tenant, provider } = resolved;
    const decision = await deps.limiter.hit(`permissions-check:${tenant.id}`, ctx.ip, checkLimit);
    if (!decision.allowed) {
      ctx.set('Retry-After', String(decision.retryAfterSeconds));
      throw new AppError('auth.rate_limited');
    }
    const input = validate(checkRequest, ctx.request.body ?? {});
    ctx.set('Cache-Control', 'no-store');
    const verdict = await verifyAccessToken(input.token, await tenantKeys(provider, tenant.id), { issuer: tenant.issuer, audience: input.audience });
    // a revoked token (RFC 7009, jwt-access-token-endpoints.ts) is as dead as an expired one
    if (!verdict.ok || (typeof verdict.claims.jti === 'string' && await deps.revokedAccessTokens.isRevoked(tenant.id, verdict.claims.jti))) {
      ctx.body = { active: false };
      return;
    }
    const { claims } = verdict;
    const { rolesClaim, permissionsClaim } = tenant.settings.rbac;
    const permissions = listClaim(claims, permissionsClaim);
    ctx.body = {
      active: true,
      sub: claims.sub,
      client_id: claims.client_id,
      exp: claims.exp,
      scope: claims.scope,
      roles: listClaim(claims, rolesClaim),
      permissions,
      missing: missingPermissions(permissions, input.permissions),
    };
  });
  // the router's one path, as leniently as it matches it (any case, an optional trailing slash)
  return forPaths((path) => checkPath.test(path), compose([router.routes(), router.allowedMethods()]) as Middleware);
}
