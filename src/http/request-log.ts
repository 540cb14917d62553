// A request id for every request (echoed in X-Request-Id and on error pages) and one log line per response.
// The line holds the path only: query strings carry codes, states and login hints. Paths that carry a link
// token themselves (magic links, password-reset links) are logged with the token cut out.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

export function requestLog(logger: Logger): Middleware {
  return async function logRequest(ctx, next) {
    const started = performance.now();
    ctx.state.requestId = randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled('info')) logger.info({ requestId: ctx.state.requestId, method: ctx.method, path: loggablePath(ctx.path), status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

const TOKEN_IN_PATH = /\/(magic|reset-link)\/[^/]+/g;

/** the request path as it may be logged: a link token in it replaced by `[redacted]` */
export function loggablePath(path: string): string {
  return path.replace(TOKEN_IN_PATH, '/$1/[redacted]');
}
