// Every URL the provider builds comes from the request (ctx.href). We pin them to PUBLIC_URL: a request for
// any other host is refused before the provider sees it (a malformed Host made it throw → 500, a foreign one was
// copied into discovery — DESIGN.md), and the scheme/host the provider reads are rewritten to PUBLIC_URL's: no
// X-Forwarded-Proto/Host a client or proxy sends ever reaches a URL.
import type { Middleware } from 'koa';
import { AppError } from '../errors/app-error.js';
import type { TrustProxy } from '../config/trust-proxy.js';
import { peerIsTrustedProxy } from './client-address.js';

export function hostGuard(options: { publicUrl: URL; trustProxy: TrustProxy; openPaths: ReadonlySet<string> }): Middleware {
  const expected = options.publicUrl.host.toLowerCase();
  const protocol = options.publicUrl.protocol.slice(0, -1);
  // not async: it only acts before the rest of the stack (a throw here is a rejection to koa-compose)
  return function pinHost(ctx, next) {
    const headers = ctx.request.headers;
    // A proxy of ours may rewrite Host and say what the browser asked for in X-Forwarded-Host: the rightmost entry
    // is the one it wrote (only checked against PUBLIC_URL, never used).
    const forwarded = peerIsTrustedProxy(options.trustProxy, ctx.req.socket.remoteAddress ?? '') ? headers['x-forwarded-host'] : undefined;
    const claimed = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim() || headers.host;
    // (the exact host, as clients send it, is compared first: no new string per request)
    if (claimed !== expected && !options.openPaths.has(ctx.path) && claimed?.trim().toLowerCase() !== expected) {
      // the page links to the right origin: a visitor who typed 127.0.0.1 for localhost is one click away; its texts
      // come from the catalogue in the visitor's language (the English message stays for JSON callers)
      const origin = options.publicUrl.origin;
      throw new AppError('request.misdirected_host', `This server answers at ${origin}.`, {
        link: { href: `${origin}/`, label: `Go to ${origin}` },
        pageTexts: { message: { key: 'error.answersAt', vars: { origin } }, linkLabel: { key: 'error.goTo', vars: { origin } } },
      });
    }
    // The app runs with `proxy = true` so Koa reads these; we set them, a client cannot.
    headers['x-forwarded-host'] = expected;
    headers['x-forwarded-proto'] = protocol;
    return next();
  };
}
