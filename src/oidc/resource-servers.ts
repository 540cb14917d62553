// Resource servers a tenant's access tokens can be issued for: the APIs registered in the tenant (issue #6),
// its default API among them. Tokens for them are RFC 9068 JWTs signed with the tenant's access-token alg.
import { errors, type Client, type ResourceServer } from 'oidc-provider';
import type { TenantSettings } from '../tenants/tenant-settings.js';

export function resourceServerInfo(settings: TenantSettings, apis: ReadonlySet<string>, indicator: string, client: Client): ResourceServer {
  if (!apis.has(indicator) && indicator !== settings.defaultResource) throw new errors.InvalidTarget();
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
