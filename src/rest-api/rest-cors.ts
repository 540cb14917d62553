// CORS for the REST auth API (issue #16 §3): a browser origin may call it when the tenant registers the origin
// (headless.allowedOrigins) or the app the request names does (its client metadata allowed_origins). A preflight
// carries no credentials (Fetch standard, CORS-preflight request), so it cannot name an app: it is answered for an
// origin the tenant or any of its apps registers, and the request itself is then held to the app it names
// (rest-client.ts identify, the Bearer token's client) — without one, to the tenant's list alone.
import type { Context } from 'koa';
import { appAllowedOrigins } from '../clients/app-origins.js';
import { AppError } from '../errors/app-error.js';

const corsHeaders = 'Authorization, Content-Type, Idempotency-Key';
const corsMethods = 'GET, POST, PUT, DELETE';

/** the Origin of a request still waiting for the app it names to allow it */
const pending = new WeakMap<Context, string>();


function allow(ctx: Context, origin: string) {
  pending.delete(ctx);
  ctx.set('Access-Control-Allow-Origin', origin);
}

/**
 * The CORS part of the gate. `appOrigins` holds the origins the tenant's apps register (asked for a preflight from an
 * origin the tenant does not list; cached, so a flood of preflights is not a flood of reads). Returns true when it
 * answered the request (a preflight).
 * @throws AppError('rest.origin_not_allowed')
 */
export async function checkOrigin(ctx: Context, tenantOrigins: readonly string[], appOrigins: () => Promise<ReadonlySet<string>>): Promise<boolean> {
  const origin = ctx.get('Origin');
  if (!origin) return false;
  ctx.vary('Origin');
  if (ctx.method === 'OPTIONS') {
    if (!tenantOrigins.includes(origin) && !(await appOrigins()).has(origin)) throw new AppError('rest.origin_not_allowed');
    allow(ctx, origin);
    ctx.set('Access-Control-Allow-Methods', corsMethods);
    ctx.set('Access-Control-Allow-Headers', corsHeaders);
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
    return true;
  }
  if (tenantOrigins.includes(origin)) allow(ctx, origin);
  else pending.set(ctx, origin);
  return false;
}

/** the app this request names (its oidc-provider client) allows the request's Origin, if any @throws AppError('rest.origin_not_allowed') */
export function approveOriginFor(ctx: Context, client: unknown): void {
  const origin = pending.get(ctx);
  if (origin === undefined) return;
  if (!appAllowedOrigins(client).includes(origin)) throw new AppError('rest.origin_not_allowed');
  allow(ctx, origin);
}

/** after the route: an Origin no app approved (the route named none, so only the tenant's list counts) @throws AppError('rest.origin_not_allowed') */
export function assertOriginSettled(ctx: Context): void {
  if (pending.has(ctx)) throw new AppError('rest.origin_not_allowed');
}

