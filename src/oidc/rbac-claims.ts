// Roles and permissions in a tenant's tokens (issue #6). An access token for an API (RFC 9068 JWT) carries
// the subject's roles and the permissions they give on that API only; a client_credentials token carries
// the client's. Assignments are read when the token is issued: the bound on staleness is the token's life.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { permissionsAudience } from '../rbac/permissions-audience.js';
import type { RbacSettings } from '../rbac/rbac-settings.js';

export type ClaimsFor = (tenantId: string, subject: { userId: string } | { clientId: string }, audience: string) => Promise<{ roles: string[]; permissions: string[] }>;

interface IssuedToken {
  kind: string;
  accountId?: string;
  clientId?: string;
  resourceServer?: { audience?: string | string[] };
}

/** a token's RBAC claims: a promise of them when the token has an audience and a subject, else undefined (no promise) */
/** @param defaultResource the tenant's default API: a headless app's tokens carry the permissions on it (permissions-audience.ts) */
export function rbacTokenClaims(tenantId: string, names: RbacSettings, claimsFor: ClaimsFor, defaultResource: string | null = null) {
  // Under the tenant's claim names. The machine-claims cache answers with the same object until the client's roles
  // change: the renamed object is kept with it, not built per token (a user's answer is a new object every time).
  const renamed = new WeakMap<object, Record<string, unknown>>();
  const rename = (claims: { roles: string[]; permissions: string[] }) => ({ [names.rolesClaim]: claims.roles, [names.permissionsClaim]: claims.permissions });
  const renameKept = (claims: { roles: string[]; permissions: string[] }) => {
    let named = renamed.get(claims);
    if (!named) renamed.set(claims, (named = rename(claims)));
    return named;
  };

  /**
   * @param then what is made of the claims: done in the same step (one promise per token, not two)
   */
  return function extraTokenClaims<T>(_ctx: KoaContextWithOIDC, token: IssuedToken, then: (claims: Record<string, unknown>) => T): Promise<T> | undefined {
    const audience = token.resourceServer?.audience;
    if (typeof audience !== 'string') return undefined;
    if (token.kind === 'ClientCredentials') return token.clientId ? claimsFor(tenantId, { clientId: token.clientId }, audience).then((claims) => then(renameKept(claims))) : undefined;
    return token.accountId ? claimsFor(tenantId, { userId: token.accountId }, permissionsAudience(audience, defaultResource)).then((claims) => then(rename(claims))) : undefined;
  };
}
