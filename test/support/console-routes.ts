// The admin console's routes as its routers register them (admin.routes.ts consoleRouters), so the hostile-input sweep
// (test/integration/bad-input-forms.test.ts) visits every page and reaches every form a new route adds. Building the
// routers only registers routes; the kit they are given is inert here and never used by a request.
import { consoleRouters } from '../../src/admin/admin.routes.js';
import type { AdminKit } from '../../src/admin/admin-kit.js';

export interface ConsoleRoute { method: 'GET' | 'POST'; path: string; regexp: RegExp; params: string[] }

// any property read, call or conversion gives itself back: enough for the factories' destructuring
const inert: unknown = new Proxy(function inert() {}, {
  get: (_target, property) => (property === Symbol.toPrimitive ? () => 'inert' : typeof property === 'symbol' || property === 'then' ? undefined : inert),
  apply: () => inert,
});

/** every GET and POST route of the console, with its `:params` */
export function consoleRoutes(): ConsoleRoute[] {
  const { signIn, firstOwner, pages } = consoleRouters(inert as AdminKit);
  const routes: ConsoleRoute[] = [];
  for (const router of [signIn.router, firstOwner, ...pages]) {
    for (const layer of router.stack) {
      for (const method of ['GET', 'POST'] as const) {
        if (layer.methods.includes(method)) routes.push({ method, path: layer.path as string, regexp: layer.regexp, params: [...(layer.path as string).matchAll(/:(\w+)/g)].map((m) => m[1]!) });
      }
    }
  }
  return routes;
}

/**
 * the route's path with each `:param` given a value: `:slug` from `values.slug`, any other from `values['<segment
 * before it>/:<param>']` or else `values['<segment before it>']` (`clients/:id` → `values.clients`); `only` gives one
 * parameter the value it names instead. Null when `values` has none for a parameter.
 */
export function concretePath(route: ConsoleRoute, values: Record<string, string>, only?: { param: string; value: string }): string | null {
  let missing = false;
  const path = route.path.replace(/([^/]+)\/:(\w+)/g, (_whole, segment: string, param: string) => {
    const value = only?.param === param ? only.value : param === 'slug' ? values.slug : values[`${segment}/:${param}`] ?? values[segment];
    if (value === undefined) missing = true;
    return `${segment}/${encodeURIComponent(value ?? '')}`;
  });
  return missing ? null : path;
}
