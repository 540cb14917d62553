// Counts and times every request under a bounded route label: @koa/router's matched pattern
// (`/t/:tenant/interaction/:uid/login`), oidc-provider's route name (`oidc:token`), the pattern a handler set in
// ctx.state.routePattern, or `unmatched`. A raw path (holding ids, link tokens) is never a label.
import type { Context, Middleware } from 'koa';
import type { Metrics } from './metrics.js';

declare module 'koa' {
  interface DefaultState {
    /** the route pattern for metrics when no router matched (e.g. a tenant's discovery document) */
    routePattern?: string;
  }
}

export function requestMetrics(metrics: Metrics): Middleware {
  return async function measureRequest(ctx, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      if (ctx.state.storeOutage) metrics.storeError(ctx.state.storeOutage);
      metrics.request({ route: routeOf(ctx), tenant: ctx.state.tenant?.slug ?? '-', method: methodOf(ctx.method), status: ctx.status }, (performance.now() - started) / 1000);
    }
  };
}

/** the bounded route label of a finished request (also the name of its trace span) */
export function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as Context & { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return `oidc:${oidcRoute}`;
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return ctx.state.routePattern ?? 'unmatched';
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function methodOf(method: string): string {
  return METHODS.has(method) ? method : 'other';
}
