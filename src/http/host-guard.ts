// Every URL the provider builds comes from the request (ctx.href). We pin them to PUBLIC_URL: a request for
// any other host is refused before the provider sees it (a malformed Host made it throw → 500, a foreign one was
// copied into discovery — DESIGN.md), and the scheme/host the provider reads are rewritten to PUBLIC_URL's.
import type { Middleware } from 'koa';
import { AppError } from '../errors/app-error.js';

export function hostGuard(options: { publicUrl: URL; trustProxy: boolean; openPaths: ReadonlySet<string> }): Middleware {
  const expected = options.publicUrl.host.toLowerCase();
  const protocol = options.publicUrl.protocol.slice(0, -1);
  return async function pinHost(ctx, next) {
    const headers = ctx.request.headers;
    const forwarded = options.trustProxy ? headers['x-forwarded-host'] : undefined;
    const claimed = (Array.isArray(forwarded) ? forwarded[0] : forwarded?.split(',')[0]) ?? headers.host;
    if (!options.openPaths.has(ctx.path) && claimed?.trim().toLowerCase() !== expected) {
      // the page links to the right origin: a visitor who typed 127.0.0.1 for localhost is one click away
      throw new AppError('request.misdirected_host', `This server answers at ${options.publicUrl.origin}.`, {
        link: { href: `${options.publicUrl.origin}/`, label: `Go to ${options.publicUrl.origin}` },
      });
    }
    // The app runs with `proxy = true` so Koa reads these; we set them, a client cannot.
    headers['x-forwarded-host'] = expected;
    headers['x-forwarded-proto'] = protocol;
    if (!options.trustProxy) delete headers['x-forwarded-for'];
    await next();
  };
}
