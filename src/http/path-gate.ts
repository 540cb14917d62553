// A router runs only where it can match. @koa/router matches each of its routes against every request that reaches
// it, and a token request passed five routers that can never serve it before reaching its tenant's provider
// (npm run bench, README "Benchmarks"). A gate is a cheap test that must let through every path the router serves.
import type { Middleware } from 'koa';

export function forPaths<State, Context>(serves: (path: string) => boolean, middleware: Middleware<State, Context>): Middleware<State, Context> {
  return function gate(ctx, next) {
    return serves(ctx.path) ? middleware(ctx, next) : next();
  };
}

/** the tenant paths (`/t/{slug}/…`): the routes outside them never match there */
export const outsideTenantPaths = (path: string) => !path.startsWith('/t/');
