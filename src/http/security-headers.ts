// Headers for every response. Our HTML pages get a strict CSP (no scripts at all, styles from our origin,
// no framing: clickjacking). The CSP is in place before anything renders: oidc-provider's form_post page
// (OIDC Form Post Response Mode, success and error alike) adds the hash of its one inline auto-submit script to
// the `script-src` it finds (lib/helpers/script_src_sha.js); a CSP added only afterwards would block that script,
// and the code would never reach the app. Pages with a CSP of their own replace it.
import type { Context, Middleware } from 'koa';

const pageCsp = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

/** what Koa's `ctx.response.is('html')` matches, without parsing every response's media type to find out */
const htmlType = /^\s*text\/html\s*(;|$)/i;

/**
 * A tenant's token endpoint (oidc-provider's POST `/t/{slug}/token`) answers JSON, never a page, and nothing there
 * adds a script hash (only an authorization response does, in form_post or web_message mode): it gets no CSP before
 * the answer, which `finish` only removed again. A page answered there all the same (an error page for a browser)
 * still gets the page CSP from `finish`, as every page without one does. (The busiest path: a header set and removed
 * per token, docs/benchmarks.md.)
 */
function answersNoPage(ctx: Context): boolean {
  if (ctx.method !== 'POST') return false;
  const path = ctx.path;
  return path.startsWith('/t/') && path.endsWith('/token');
}

/** `script-src 'none' 'sha256-…'`: once a hash was added, 'none' must go (CSP3 ignores it then, with a warning) */
function withoutNoneBesideHashes(csp: string): string {
  return csp.split(';').map((directive) => {
    const [name, ...values] = directive.trim().split(/\s+/);
    if (name !== 'script-src' || !values.some((v) => v.startsWith("'sha256-"))) return directive.trim();
    return [name, ...values.filter((v) => v !== "'none'")].join(' ');
  }).join('; ');
}

export function securityHeaders(options: { https: boolean }): Middleware {
  // Headers go straight to the response (what Koa's ctx.set does for a string, without its arrays per call) once
  // the headers are not yet sent; the rest runs after everything below, whether it threw or not.
  /** @param cspBefore whether the page CSP was set before the answer (then a non-page answer has it removed) */
  function finish(ctx: Context, cspBefore: boolean): void {
    const res = ctx.res;
    if (res.headersSent) return;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (options.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (htmlType.test(String(res.getHeader('Content-Type') ?? ''))) {
      const csp = res.getHeader('Content-Security-Policy');
      // a page that allows its own framing (the admin console's branding preview) says so itself
      if (!res.getHeader('X-Frame-Options')) res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Content-Security-Policy', csp ? withoutNoneBesideHashes(String(csp)) : pageCsp);
      if (!res.getHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    } else if (cspBefore && res.getHeader('Content-Security-Policy') === pageCsp) {
      res.removeHeader('Content-Security-Policy');
    }
  }

  // not async: one promise per request instead of an async function's two and its frame (docs/benchmarks.md)
  return function setSecurityHeaders(ctx, next) {
    const cspBefore = !ctx.res.headersSent && !answersNoPage(ctx);
    if (cspBefore) ctx.res.setHeader('Content-Security-Policy', pageCsp);
    return next().then(() => finish(ctx, cspBefore), (error: unknown) => {
      finish(ctx, cspBefore);
      throw error;
    });
  };
}
