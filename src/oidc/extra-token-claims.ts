// The extra claims of a tenant's access tokens, in this order: the RBAC claims (rbac-claims.ts, the only lookup), the
// issuing environment (issue #19), an exchange's `act`, the user's sign-in (amr, acr, auth_time) and a login
// transaction's session (each synchronous). One async step per token, not an async function: its frame and promises
// were a token's garbage (docs/benchmarks.md).
//
// A machine token (client_credentials) has only the first two, and its RBAC claims come from the machine-claims
// cache, which hands back the same object until the client's roles change (or its entry expires): the claims object
// built from it is kept with it (a WeakMap keyed by that object), so a run of tokens for one client shares one object
// instead of building two per token. A change of roles is a new object from the cache, so a new claims object, at
// once, as before. oidc-provider only reads the object (it spreads it into the token's payload).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { environmentClaim } from './environment-claim.js';
import { actClaim } from './token-exchange.js';
import { loginClaims } from './login-transaction-grant.js';
import { signInClaims } from './sign-in-claims.js';

type Claims = Record<string, unknown>;
type RbacClaims = (ctx: KoaContextWithOIDC, token: never, then: (claims: Claims) => Claims) => Promise<Claims> | undefined;

export function extraTokenClaims(environment: string, rbacClaims: RbacClaims) {
  const withEnvironment = new WeakMap<Claims, Claims>();

  function merged(ctx: KoaContextWithOIDC, token: never, rbac: Claims | undefined): Claims {
    const act = actClaim(ctx, token);
    const signIn = signInClaims(ctx, token);
    const login = loginClaims(ctx, token);
    if (rbac && (token as { kind?: string }).kind === 'ClientCredentials' && !act && !signIn && !login) {
      let claims = withEnvironment.get(rbac);
      if (!claims) withEnvironment.set(rbac, (claims = { ...rbac, [environmentClaim]: environment }));
      return claims;
    }
    return { ...rbac, [environmentClaim]: environment, ...act, ...signIn, ...login };
  }

  return (ctx: KoaContextWithOIDC, token: never): Promise<Claims> => {
    const rbac = rbacClaims(ctx, token, (claims) => merged(ctx, token, claims));
    return rbac ?? Promise.resolve().then(() => merged(ctx, token, undefined));
  };
}
