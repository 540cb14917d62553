// A request that failed because PostgreSQL or Redis could not be reached is answered 503 with Retry-After,
// never 500: the client did nothing wrong and the same request will work once the store is back (RFC 9110
// §15.6.4). Errors our handlers throw reach error-handler.ts, which marks the outage; errors inside
// oidc-provider are marked by its server_error listener (oidc/tenant-providers.ts). Either way answerStoreOutage,
// once the error handler is done, gives the answer its status and header.
import type { Context } from 'koa';

/** seconds a client should wait before retrying: a Redis restart or failover takes a few seconds */
export const storeRetryAfterSeconds = 5;

declare module 'koa' {
  interface DefaultState {
    /** set when a store could not be reached while serving this request */
    storeOutage?: 'redis' | 'database';
  }
}

/**
 * Gives a request that failed on a store outage its 503 answer: the error handler's last step (error-handler.ts), so
 * that both the outages it catches and those the provider's server_error listener marks are answered alike.
 */
export function answerStoreOutage(ctx: Context): void {
  if (!ctx.state.storeOutage || ctx.status < 500) return;
  ctx.status = 503;
  ctx.set('Retry-After', String(storeRetryAfterSeconds));
  ctx.set('Cache-Control', 'no-store');
  const body = ctx.body as { error?: unknown } | undefined;
  // oidc-provider's RFC 6749 shape: server_error becomes the RFC's temporarily_unavailable (§4.1.2.1)
  if (body && typeof body === 'object' && body.error === 'server_error') {
    ctx.body = { error: 'temporarily_unavailable', error_description: 'the service is briefly unavailable; try again in a few seconds' };
  }
}
