// The one line a resource server adds to trust Tessera's access tokens (issue #6):
//   app.use(requirePermissions({ issuer: 'https://id.example.com/t/acme', audience: 'https://api.example.com' }, 'read:orders'));
// Tokens are verified offline (access-token-check.ts) against the issuer's JWKS, which jose fetches once and
// keeps (createRemoteJWKSet: refetched after 10 minutes, or when a token names a key it does not know — at
// most every 30 s — which is how a rotated key is picked up): no call to Tessera per request. Answers follow RFC 6750 §3: 401 invalid_token, 403 insufficient_scope. Depends on jose and koa only.
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Context, Middleware } from 'koa';
import { listClaim, missingPermissions, verifyAccessToken } from './access-token-check.js';

export interface ResourceServerOptions {
  /** the tenant's issuer, e.g. https://id.example.com/t/acme */
  readonly issuer: string;
  /** this API's identifier, as registered in the tenant (the token's `aud`) */
  readonly audience: string;
  /** the claim holding permissions, as set in the tenant's `rbac.permissionsClaim`; default `permissions` */
  readonly permissionsClaim?: string;
  /** where the signing keys are; default: the `jwks_uri` of the issuer's discovery document */
  readonly jwksUri?: string;
  /** seconds of clock difference tolerated on exp/iat/nbf; default 0 */
  readonly clockToleranceSeconds?: number;
}

declare module 'koa' {
  interface DefaultState {
    /** the verified claims of the request's access token, set by the resource-server guard */
    auth?: JWTPayload;
  }
}

const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** the value of an RFC 6750 §3 auth-param: a quoted-string without quotes or backslashes */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

function refuse(ctx: Context, status: 401 | 403 | 503, error: string | null, description: string, scope?: string[]): void {
  const params = error ? [`error=${quoted(error)}`, `error_description=${quoted(description)}`] : [];
  if (scope?.length) params.push(`scope=${quoted(scope.join(' '))}`);
  // RFC 6750 §3.1: a request without credentials gets the challenge with no error code
  if (status !== 503) ctx.set('WWW-Authenticate', params.length ? `Bearer ${params.join(', ')}` : 'Bearer');
  ctx.set('Cache-Control', 'no-store');
  ctx.status = status;
  ctx.body = { error: error ?? 'invalid_token', message: description };
}

/** the JWKS of the issuer, found through its discovery document (OpenID Connect Discovery §4) */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // §4.3: the document must be the issuer's own
  if (metadata.issuer !== issuer || typeof metadata.jwks_uri !== 'string') throw new Error('discovery document does not match the issuer');
  return new URL(metadata.jwks_uri);
}

/**
 * A resource server's view of one API; `requirePermissions` makes a middleware for a route or a whole app.
 * Guards made from one `resourceServer` share its key cache.
 */
export function resourceServer(options: ResourceServerOptions) {
  const claim = options.permissionsClaim ?? 'permissions';
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keySet = () => {
    // a failed discovery is retried by the next request instead of being remembered
    keys ??= (options.jwksUri ? Promise.resolve(new URL(options.jwksUri)) : discoverJwksUri(options.issuer))
      .then((uri) => createRemoteJWKSet(uri))
      .catch((error: unknown) => {
        keys = undefined;
        throw error;
      });
    return keys;
  };

  return {
    /** answers 401/403 unless the request bears a valid access token for this API holding every `permission` */
    requirePermissions(...required: string[]): Middleware {
      return async function checkAccessToken(ctx, next) {
        const match = bearer.exec(ctx.get('Authorization'));
        if (!match) return refuse(ctx, 401, null, 'A bearer access token is required.');
        let getKey: JWTVerifyGetKey;
        try {
          getKey = await keySet();
        } catch {
          return refuse(ctx, 503, 'temporarily_unavailable', 'The token issuer cannot be reached to check the access token.');
        }
        const verdict = await verifyAccessToken(match[1]!, getKey, options);
        if (!verdict.ok) {
          if (verdict.reason === 'unavailable') return refuse(ctx, 503, 'temporarily_unavailable', 'The token issuer cannot be reached to check the access token.');
          return refuse(ctx, 401, 'invalid_token', verdict.description);
        }
        const missing = missingPermissions(listClaim(verdict.claims, claim), required);
        if (missing.length) return refuse(ctx, 403, 'insufficient_scope', `The access token lacks ${missing.join(', ')}.`, required);
        ctx.state.auth = verdict.claims;
        await next();
      };
    },
  };
}

/** one-line form of `resourceServer(options).requirePermissions(...permissions)` */
export function requirePermissions(options: ResourceServerOptions, ...permissions: string[]): Middleware {
  return resourceServer(options).requirePermissions(...permissions);
}
