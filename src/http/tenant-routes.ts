// /t/{slug}/…: resolves the tenant (404 JSON/page when unknown), serves its branding stylesheet, and hands
// protocol paths to the tenant's oidc-provider mounted at its issuer path. Hosted-page routes
// (/t/{slug}/interaction/…, /t/{slug}/outbox, /t/{slug}/federated/…, /t/{slug}/account, /t/{slug}/verify-email) and the REST auth API (/t/{slug}/v1/…) fall through to their routers with the tenant in ctx.state.
import compose from 'koa-compose';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { AppError } from '../errors/app-error.js';
import type { TenantContext, TenantProvider, TenantProviders } from '../oidc/tenant-providers.js';
import { brandingCss, type Branding } from '../tenants/branding.js';
import { connectionButtonCss } from '../tenants/connection-settings.js';
import { slugPattern } from '../tenants/tenants.service.js';
import { wantsHtml } from './error-handler.js';
import { createStaticDocuments } from './static-documents.js';

export interface ResolvedTenant extends TenantContext {
  readonly branding: Branding;
}

declare module 'koa' {
  interface DefaultState {
    tenant?: ResolvedTenant;
    provider?: Provider;
    requestId?: string;
    /** the sign-in's ui_locales (OIDC Core §3.1.2.1), once its interaction is loaded */
    uiLocales?: string;
  }
}

/** oidc-provider's body limit for protocol endpoints */
export const protocolBodyLimit = 56 * 1024;

const tenantPath = /^\/t\/([^/]+)(\/.*)?$/;
const hostedPaths = /^\/(interaction\/|outbox\/?$|federated\/|account(\/|$)|verify-email\/?$|v1(\/|$))/;

export function tenantRoutes(providers: TenantProviders): Middleware {
  const composed = new WeakMap<Provider, (ctx: Context, next: Next) => Promise<unknown>>();
  const handlerOf = (provider: Provider) => {
    let handler = composed.get(provider);
    if (!handler) {
      handler = compose(provider.middleware as Middleware[]) as unknown as (ctx: Context, next: Next) => Promise<unknown>;
      composed.set(provider, handler);
    }
    return handler;
  };

  const documents = createStaticDocuments();
  // one object per provider build, not one per request (the token endpoint's allocations show as garbage collection)
  const resolvedTenants = new WeakMap<TenantProvider, ResolvedTenant>();
  const resolvedTenantOf = (resolved: TenantProvider) => {
    let tenant = resolvedTenants.get(resolved);
    if (!tenant) {
      tenant = Object.freeze({ ...resolved.tenant, branding: resolved.tenant.settings.branding });
      resolvedTenants.set(resolved, tenant);
    }
    return tenant;
  };

  // Not async, and no await for a tenant whose provider is at hand: a token request's extra promises and their
  // frames showed up as garbage collection (docs/benchmarks.md).
  function serveTenant(ctx: Context, next: Next, slug: string, rest: string, resolved: TenantProvider | null): Promise<unknown> | undefined {
    if (!resolved) throw new AppError('tenant.not_found');
    ctx.state.tenant = resolvedTenantOf(resolved);
    ctx.state.provider = resolved.provider;

    if (rest === '/branding.css') {
      ctx.state.routePattern = '/t/:slug/branding.css';
      ctx.type = 'text/css';
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = brandingCss(resolved.tenant.settings.branding) + connectionButtonCss(resolved.tenant.settings.connections);
      return undefined;
    }
    if (hostedPaths.test(rest)) return next();

    // oidc-provider refuses bodies over its own 56 KiB limit (lib/shared/selective_body.js) only after reading
    // up to that much, and as a 400. A declared larger body is refused here, unread, with the honest 413 and
    // the RFC 6749 error shape its clients parse.
    // the declared length as Koa's `ctx.request.length` reads it, without its header-name lookup
    const declared = ctx.req.headers['content-length'];
    if (declared && Number.parseInt(declared, 10) > protocolBodyLimit) {
      if (wantsHtml(ctx)) throw new AppError('request.too_large');
      ctx.status = 413;
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Connection', 'close');
      ctx.body = { error: 'invalid_request', error_description: 'the request body is too large' };
      return undefined;
    }

    if (documents.serve(ctx, resolved.provider, rest)) {
      // a document path is one of a fixed few (static-documents.ts): safe as a metrics label
      ctx.state.routePattern = `/t/:slug${rest}`;
      return undefined;
    }

    // What koa-mount does: the provider sees the path below its issuer and builds URLs with the mount path.
    // Koa's path setter parses and re-serialises the URL; a request target in origin form (`/t/…?query`, all but a
    // proxy's absolute form) is the path followed by the query, so the provider's URL is the rest followed by it.
    const original = ctx.url;
    const below = original.startsWith(ctx.path) ? rest + original.slice(ctx.path.length) : null;
    (ctx as Context & { mountPath?: string }).mountPath = `/t/${slug}`;
    if (below === null) ctx.path = rest;
    else ctx.url = below;
    let handled: Promise<unknown>;
    try {
      handled = handlerOf(resolved.provider)(ctx, async () => {
        ctx.url = original;
      });
    } catch (error) {
      ctx.url = original;
      throw error;
    }
    return handled.then(() => {
      ctx.url = original;
      documents.remember(ctx, resolved.provider, rest);
    }, (error: unknown) => {
      ctx.url = original;
      throw error;
    });
  }

  return function resolveTenant(ctx, next) {
    const match = tenantPath.exec(ctx.path);
    if (!match) return next();
    const slug = match[1]!;
    const rest = match[2] ?? '/';
    const found = slugPattern.test(slug) ? providers.get(slug) : null;
    return found instanceof Promise ? found.then((resolved) => serveTenant(ctx, next, slug, rest, resolved)) : serveTenant(ctx, next, slug, rest, found);
  };
}
