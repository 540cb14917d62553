// The port is bound first, so a busy port is reported before any other work; until the server is ready, every
// request gets 503 with Retry-After (a page that refreshes itself for a browser). No request reaches the app
// while it migrates, seeds or builds its caches, so none can fail the start.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { errorCatalogue } from '../errors/error-catalogue.js';

const retryAfterSeconds = 2;

export interface StartGate {
  readonly listener: RequestListener;
  /** from now on every request goes to `app` */
  open(app: RequestListener): void;
}

export function createStartGate(): StartGate {
  let app: RequestListener | undefined;
  return {
    listener(request, response) {
      if (app) return app(request, response);
      starting(request, response);
    },
    open(listener) {
      app = listener;
    },
  };
}

function starting(request: IncomingMessage, response: ServerResponse): void {
  const { status, message } = errorCatalogue['server.starting'];
  const html = /\btext\/html\b/.test(request.headers.accept ?? '');
  response.writeHead(status, {
    'Retry-After': String(retryAfterSeconds),
    'Cache-Control': 'no-store',
    'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  });
  response.end(html
    ? `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${retryAfterSeconds}"><title>Tessera is starting</title></head><body><p>${message}</p></body></html>\n`
    : `${JSON.stringify({ error: 'server.starting', message })}\n`);
}
