// What the audit log and the limits record of a request: its client address (trust-proxy aware, client-address.ts)
// and its User-Agent. One helper for every door (hosted pages, account pages, JSON APIs).
import type { Context } from 'koa';

export interface RequestInfo { ip: string; userAgent: string | null }

export function requestInfo(ctx: Pick<Context, 'ip' | 'get'>): RequestInfo {
  return { ip: ctx.ip, userAgent: ctx.get('User-Agent') || null };
}
