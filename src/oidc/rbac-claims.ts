// Roles and permissions in a tenant's tokens (issue #6). An access token for an API (RFC 9068 JWT) carries
// the subject's roles and the permissions they give on that API only; a client_credentials token carries
// the client's. Assignments are read when the token is issued: the bound on staleness is the token's life.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RbacSettings } from '../rbac/rbac-settings.js';

export type ClaimsFor = (tenantId: string, subject: { userId: string } | { clientId: string }, audience: string) => Promise<{ roles: string[]; permissions: string[] }>;

interface IssuedToken {
  kind: string;
  accountId?: string;
  clientId?: string;
  resourceServer?: { audience?: string | string[] };
}

/** a token's RBAC claims: a promise of them when the token has an audience and a subject, else undefined (no promise) */
export function rbacTokenClaims(tenantId: string, names: RbacSettings, claimsFor: ClaimsFor) {
  return function extraTokenClaims(_ctx: KoaContextWithOIDC, token: IssuedToken): Promise<Record<string, unknown>> | undefined {
    const audience = token.resourceServer?.audience;
    if (typeof audience !== 'string') return undefined;
    const subject = token.kind === 'ClientCredentials'
      ? (token.clientId ? { clientId: token.clientId } : undefined)
      : (token.accountId ? { userId: token.accountId } : undefined);
    if (!subject) return undefined;
    return claimsFor(tenantId, subject, audience).then(({ roles, permissions }) => ({ [names.rolesClaim]: roles, [names.permissionsClaim]: permissions }));
  };
}
