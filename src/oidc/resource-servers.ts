// Resource servers a tenant's access tokens can be issued for. Today: the tenant's default API, whose
// tokens are RFC 9068 JWTs signed with the tenant's access-token alg; the RBAC issue adds registered APIs.
import { errors, type Client, type ResourceServer } from 'oidc-provider';
import type { TenantSettings } from '../tenants/tenant-settings.js';
import { standardClaims } from './standard-claims.js';

const oidcScopes = new Set([...Object.keys(standardClaims), 'offline_access']);

export function resourceServerInfo(settings: TenantSettings, indicator: string, client: Client): ResourceServer {
  if (!settings.defaultResource || indicator !== settings.defaultResource) throw new errors.InvalidTarget();
  // The API's scopes are the non-OpenID scopes registered on the client (`tessera client create --scope`).
  const scope = (client.scope ?? '').split(' ').filter((s) => s && !oidcScopes.has(s)).join(' ');
  return {
    scope,
    audience: indicator,
    accessTokenTTL: settings.ttl.accessToken,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: settings.accessTokenSigningAlg } },
  };
}
