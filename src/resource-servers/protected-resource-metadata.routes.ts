// RFC 9728 protected-resource metadata for each of a tenant's APIs, once the tenant turns on
// `grants.resourceMetadata`. The document of an API whose identifier lives under this server's origin is served
// where RFC 9728 §3.1 puts it (`/.well-known/oauth-protected-resource` inserted before the identifier's path);
// `/t/{slug}/protected-resources` lists every API's document, for an API on another host to serve at its own.
import Router from '@koa/router';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import { AppError } from '../errors/app-error.js';
import type { TenantProviders, TenantContext } from '../oidc/tenant-providers.js';
import { slugPattern } from '../tenants/tenants.service.js';
import { forPaths, type PathGate } from '../http/path-gate.js';
import type { ApiRecord } from '../db/rbac.repository.js';
import type { TenantRef } from '../rbac/rbac.service.js';

const wellKnown = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: where a client looks for the metadata of `resource` */
export function metadataUrlOf(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${wellKnown}${path}${url.search}`;
}

function documentOf(tenant: TenantContext, api: ApiRecord) {
  return {
    resource: api.identifier,
    resource_name: api.name,
    authorization_servers: [tenant.issuer],
    scopes_supported: api.permissions.map((p) => p.name),
    bearer_methods_supported: ['header'],
  };
}

export function protectedResourceMetadataRoutes(deps: { providers: TenantProviders; rbac: { listApis(tenant: TenantRef): Promise<ApiRecord[]> }; publicUrl: URL }): PathGate {
  async function apisOf(slug: string) {
    const resolved = slugPattern.test(slug) ? await deps.providers.get(slug) : null;
    if (!resolved) throw new AppError('tenant.not_found');
    if (!resolved.tenant.settings.grants.resourceMetadata) throw new AppError('route.not_found');
    return { tenant: resolved.tenant, apis: await deps.rbac.listApis(resolved.tenant) };
  }

  const router = new Router();
  router.get('/t/:tenant/protected-resources', async (ctx) => {
    const { tenant, apis } = await apisOf(ctx.params.tenant!);
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = { resources: apis.map((api) => ({ ...documentOf(tenant, api), metadata_url: metadataUrlOf(api.identifier) })) };
  });
  const prefix = new RegExp(`^${wellKnown}/t/([^/]+)(/.*)$`);
  // a plain middleware: the identifier's path is any depth, which the router's patterns do not express simply
  const wellKnownDocument: Middleware = async (ctx, next) => {
    const match = ctx.method === 'GET' || ctx.method === 'HEAD' ? prefix.exec(ctx.path) : null;
    if (!match) return next();
    const [slug, rest] = [match[1]!, match[2]!];
    const { tenant, apis } = await apisOf(slug);
    const identifier = `${deps.publicUrl.origin}/t/${slug}${rest}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
    const api = apis.find((a) => a.identifier === identifier);
    if (!api) throw new AppError('route.not_found');
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = documentOf(tenant, api);
  };
  // the paths above, as leniently as the router matches its own (any case, an optional trailing slash)
  const listing = /\/protected-resources\/?$/i;
  return forPaths((path) => path.startsWith(wellKnown) || listing.test(path), compose([wellKnownDocument, router.routes(), router.allowedMethods()]) as Middleware);
}
