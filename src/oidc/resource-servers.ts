// Resource servers a tenant's access tokens can be issued for. Today: the tenant's default API, whose
// tokens are RFC 9068 JWTs signed with the tenant's access-token alg; the RBAC issue adds registered APIs.
import { errors, type Client, type ResourceServer } from 'oidc-provider';
import type { TenantSettings } from '../tenants/tenant-settings.js';

export function resourceServerInfo(settings: TenantSettings, indicator: string, client: Client): ResourceServer {
  if (!settings.defaultResource || indicator !== settings.defaultResource) throw new errors.InvalidTarget();
  // The API's scopes are those registered on the client as `api_scope` (the non-OpenID part of
  // `tessera client create --scope`, clients.service.ts).
  const scope = (client as unknown as { api_scope?: string }).api_scope ?? '';
  return {
    scope,
    audience: indicator,
    accessTokenTTL: settings.ttl.accessToken,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: settings.accessTokenSigningAlg } },
  };
}
