// A router runs only where it can match. @koa/router matches each of its routes against every request that reaches
// it, and a token request passed five routers that can never serve it before reaching its tenant's provider
// (npm run bench, docs/benchmarks.md). A gate is a cheap test that must let through every path the router serves.
import compose from 'koa-compose';
import type { DefaultContext, DefaultState, Middleware } from 'koa';

/** a middleware that acts only on the paths `serves` lets through (it calls `next()` for every other) */
export type PathGate<State = DefaultState, Context = DefaultContext> = Middleware<State, Context> & { readonly serves: (path: string) => boolean };

export function forPaths<State, Context>(serves: (path: string) => boolean, middleware: Middleware<State, Context>): PathGate<State, Context> {
  const gate: Middleware<State, Context> = function gate(ctx, next) {
    return serves((ctx as { path: string }).path) ? middleware(ctx, next) : next();
  };
  return Object.assign(gate, { serves });
}

/**
 * Adjacent gates as one layer, in the same order: a request none of them serves (every token request) passes one
 * layer of the app's stack instead of one per gate (each a koa-compose step: a bound function and a promise).
 */
export function gatesInTurn(...gates: PathGate[]): PathGate {
  return forPaths((path) => {
    for (const gate of gates) if (gate.serves(path)) return true;
    return false;
  }, compose(gates) as Middleware);
}

/** the tenant paths (`/t/{slug}/…`): the routes outside them never match there */
export const outsideTenantPaths = (path: string) => !path.startsWith('/t/');
