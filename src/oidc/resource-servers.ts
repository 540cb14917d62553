// Resource servers a tenant's access tokens can be issued for: the APIs registered in the tenant (issue #6),
// its default API among them. Tokens for them are RFC 9068 JWTs signed with the tenant's access-token alg.
import { errors, type Client, type ResourceServer } from 'oidc-provider';
import type { TenantSettings } from '../tenants/tenant-settings.js';

export function resourceServerInfo(settings: TenantSettings, apis: ReadonlyMap<string, readonly string[]>, indicator: string, client: Client): ResourceServer {
  // A headless app's tokens (issue #16) name the app itself as audience: `aud` is its slug, for that app only.
  const app = client as unknown as { headless?: boolean; app_slug?: string };
  if (app.headless && app.app_slug === indicator) return { scope: '', audience: indicator, accessTokenTTL: settings.ttl.accessToken, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
  const permissions = apis.get(indicator);
  if (!permissions && indicator !== settings.defaultResource) throw new errors.InvalidTarget();
  // The scopes a client may be granted for the API are those registered on it as `api_scope` (the non-OpenID part
  // of `tessera client create --scope`, clients.service.ts) — and, once the API defines permissions, only those
  // among them: a scope the API does not define means nothing to it, and must not look like one it does.
  const registered = ((client as unknown as { api_scope?: string }).api_scope ?? '').split(' ').filter(Boolean);
  const scope = (permissions?.length ? registered.filter((s) => permissions.includes(s)) : registered).join(' ');
  return {
    scope,
    audience: indicator,
    accessTokenTTL: settings.ttl.accessToken,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: settings.accessTokenSigningAlg } },
  };
}

/**
 * resourceServerInfo for one provider build (its settings and APIs), kept per client and resource: the answer depends
 * on nothing else, and the library copies it into a ResourceServer of its own. A changed client is a new Client
 * object (remembered-clients.ts), so a new entry; a refusal (InvalidTarget) is thrown again each time, never kept.
 */
export function keptResourceServerInfo(settings: TenantSettings, apis: ReadonlyMap<string, readonly string[]>) {
  const kept = new WeakMap<Client, Map<string, ResourceServer>>();
  return (indicator: string, client: Client): ResourceServer => {
    if (typeof client !== 'object' || client === null) return resourceServerInfo(settings, apis, indicator, client);
    let byIndicator = kept.get(client);
    let info = byIndicator?.get(indicator);
    if (!info) {
      info = resourceServerInfo(settings, apis, indicator, client);
      if (!byIndicator) kept.set(client, (byIndicator = new Map()));
      byIndicator.set(indicator, info);
    }
    return info;
  };
}
