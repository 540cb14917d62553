// Introspection (RFC 7662) and revocation (RFC 7009) of JWT access tokens (RFC 9068), which oidc-provider refuses
// with 400 unsupported_token_type (lib/shared/reject_structured_tokens.js) once it has authenticated the client.
// That refusal is replaced here by the answer for the token, under the same rules as opaque tokens: only the
// client a token was issued to learns about it or revokes it; to any other client it is an unknown token. A JWT
// is not stored, so revoking one denies its `jti` until it expires (revoked-access-tokens.ts). A token this
// tenant did not sign is unknown: inactive, or nothing to revoke (RFC 7009 §2.2: invalid tokens do not cause an
// error).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { RevokedAccessTokens } from './revoked-access-tokens.js';

export interface JwtAccessTokenEndpointsDeps {
  tenantId: string;
  issuer: string;
  /** the tenant's published public keys, retired ones included */
  keys: JWTVerifyGetKey;
  revoked: RevokedAccessTokens;
}

type Claims = JWTPayload & { jti: string; exp: number; client_id: string };

/** the introspection and revocation answers for JWT access tokens: a step of provider-answers.ts, a promise only on those routes */
export function jwtAccessTokenEndpoints(deps: JwtAccessTokenEndpointsDeps): (ctx: KoaContextWithOIDC) => Promise<void> | undefined {
  async function verified(token: string): Promise<Claims | null> {
    try {
      const { payload } = await jwtVerify(token, deps.keys, { issuer: deps.issuer, typ: 'at+jwt', requiredClaims: ['jti', 'exp', 'client_id'] });
      return typeof payload.client_id === 'string' && typeof payload.jti === 'string' ? (payload as Claims) : null;
    } catch {
      return null;
    }
  }

  /** RFC 7662 §2.2: the token's claims (permissions and roles too, as for opaque tokens) and its type */
  function introspectionOf(claims: Claims) {
    const cnf = claims.cnf as { jkt?: string } | undefined;
    return { ...claims, active: true, token_type: cnf?.jkt ? 'DPoP' : 'Bearer' };
  }

  async function answer(ctx: KoaContextWithOIDC, route: 'introspection' | 'revocation'): Promise<void> {
    const { oidc } = ctx;
    // The library's empty revocation answer is typed text/plain by Koa; some clients (oidc-client-ts) refuse a
    // body whose type is not JSON, and an empty body has no type.
    const emptyOk = () => {
      ctx.status = 200;
      ctx.body = '';
      ctx.remove('Content-Type');
    };
    if (route === 'revocation' && ctx.status === 200 && ctx.body === '') return emptyOk();

    const refused = ctx.status === 400 && (ctx.body as { error?: unknown } | undefined)?.error === 'unsupported_token_type';
    const token = oidc.params?.token;
    if (!refused || !oidc.client || typeof token !== 'string') return;

    const claims = await verified(token);
    const own = claims?.client_id === oidc.client.clientId;
    if (route === 'introspection') {
      const live = claims && own && !(await deps.revoked.isRevoked(deps.tenantId, claims.jti));
      ctx.status = 200;
      ctx.body = live ? introspectionOf(claims) : { active: false };
      return;
    }
    // another client's JWT is revoked no more than an unknown one, and answered alike (RFC 7009 §2.2)
    if (claims && own) await deps.revoked.revoke(deps.tenantId, claims.jti, claims.exp);
    emptyOk();
  }

  return function jwtAccessTokenAnswer(ctx) {
    const route = ctx.oidc?.route;
    return route === 'introspection' || route === 'revocation' ? answer(ctx, route) : undefined;
  };
}
