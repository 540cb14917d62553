// The one line a resource server adds to trust Tessera's access tokens (issue #6):
//   app.use(requirePermissions({ issuer: 'https://id.example.com/t/acme', audience: 'https://api.example.com' }, 'read:orders'));
// A thin Koa form of tessera/verify (src/verify/): tokens are verified offline against the issuer's JWKS, fetched
// once and kept (refetched when a token names a key it does not know, at most once per cool-down, which is how a
// rotated key is picked up): no call to Tessera per request. Answers follow RFC 6750 §3: 401 invalid_token,
// 403 insufficient_scope. Depends on jose and koa only.
import type { JWTPayload } from 'jose';
import type { Middleware } from 'koa';
import { requireAuthFor } from '../verify/require-auth.js';
import { createVerifier } from '../verify/verifier.js';

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

/**
 * A resource server's view of one API; `requirePermissions` makes a middleware for a route or a whole app.
 * Guards made from one `resourceServer` share its key cache.
 */
export function resourceServer(options: ResourceServerOptions) {
  const guards = requireAuthFor(createVerifier({ ...options, clockToleranceSeconds: options.clockToleranceSeconds ?? 0 }));
  return {
    /** answers 401/403 unless the request bears a valid access token for this API holding every `permission` */
    requirePermissions(...required: string[]): Middleware {
      return guards.koa({ permissions: required }) as unknown as Middleware;
    },
  };
}

/** one-line form of `resourceServer(options).requirePermissions(...permissions)` */
export function requirePermissions(options: ResourceServerOptions, ...permissions: string[]): Middleware {
  return resourceServer(options).requirePermissions(...permissions);
}
