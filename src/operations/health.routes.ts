// /healthz and /readyz for load balancers and orchestrators. /healthz says the process runs and its event loop
// turns, and touches no store, so it answers at once whatever PostgreSQL and Redis do. /readyz says whether this
// process can serve: each dependency is checked with a deadline, and a 503 names the ones that are not ready.
import Router from '@koa/router';

export const healthPath = '/healthz';
export const readyPath = '/readyz';

/** how long one readiness check may take before it counts as failed */
const CHECK_DEADLINE_MS = 1_000;

/** a named readiness check: resolves when ready, rejects (with an operator-readable message) when not */
export type ReadinessCheck = () => Promise<void>;

export function healthRoutes(deps: { checks: Record<string, ReadinessCheck> }) {
  const router = new Router();
  // Load balancers ask with their own Host header: these paths are exempt from the host guard (app.ts).
  router.get(healthPath, (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get(readyPath, async (ctx) => {
    const results = await Promise.all(Object.entries(deps.checks).map(async ([name, check]) => [name, await outcome(check)] as const));
    const failing = results.filter(([, result]) => result !== 'ok');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = failing.length ? 503 : 200;
    if (failing.length) ctx.set('Retry-After', '2');
    ctx.body = { status: failing.length ? 'unavailable' : 'ready', checks: Object.fromEntries(results) };
  });
  return router;
}

async function outcome(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_DEADLINE_MS} ms`), CHECK_DEADLINE_MS);
  });
  try {
    return await Promise.race([check().then(() => 'ok', (error: unknown) => (error as Error)?.message || 'failed'), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
