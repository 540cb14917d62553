// A request id for every request (echoed in X-Request-Id and on error pages) and one log line per response.
// The trace id of an incoming W3C `traceparent` is honoured (logged with the request, so a line can be found from
// the caller's trace); without one, the request gets a fresh trace id. The line holds the path only: query strings carry codes, states and login hints. Paths that carry a link
// token themselves (magic links, password-reset links) are logged with the token cut out.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';

declare module 'koa' {
  interface DefaultState {
    /** W3C trace id of OpenTelemetry's request span (otel-tracing.ts); without it the log line takes the caller's or a fresh one */
    traceId?: string;
  }
}

export function requestLog(logger: Logger): Middleware {
  function logLine(ctx: Context, started: number): void {
    // with OpenTelemetry on, its request span has already set the trace id (the caller's, or the span's new one);
    // otherwise it is made only for the line (no work per request when the line is not written)
    const traceId = ctx.state.traceId ?? traceIdOf(ctx.get('traceparent')) ?? freshTraceId();
    logger.info({ requestId: ctx.state.requestId, traceId, method: ctx.method, path: loggablePath(ctx.path), status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
  }

  // not async: one promise per request instead of an async function's two and its frame, and none at all when the
  // line is not written (docs/benchmarks.md)
  return function logRequest(ctx, next) {
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    // what ctx.set does for a string, without its arrays per call (nothing is sent when a request starts)
    ctx.res.setHeader('X-Request-Id', requestId);
    if (!logger.isLevelEnabled('info')) return next();
    const started = performance.now();
    return next().then(() => logLine(ctx, started), (error: unknown) => {
      logLine(ctx, started);
      throw error;
    });
  };
}

/**
 * 16 random bytes as 32 hex digits, from randomUUID's pooled randomness (randomBytes went to OpenSSL on every
 * request). A v4 UUID fixes 6 bits in its first 9 bytes; the rightmost 7 bytes, which W3C Trace Context Level 2
 * asks to be random, are.
 */
function freshTraceId(): string {
  return randomUUID().replaceAll('-', '');
}

const TOKEN_IN_PATH = /\/(magic|reset-link)\/[^/]+/g;

/** the request path as it may be logged: a link token in it replaced by `[redacted]` */
export function loggablePath(path: string): string {
  return path.replace(TOKEN_IN_PATH, '/$1/[redacted]');
}

// W3C Trace Context §3.2: version 00 is `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; an all-zero id is
// invalid. A later version may append fields after the flags; its first four are read the same way (§4.3).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** the trace id of a valid `traceparent` header, else null (a fresh one is made then) */
export function traceIdOf(header: string): string | null {
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest) || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return null;
  return traceId!;
}
