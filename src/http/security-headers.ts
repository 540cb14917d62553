// Headers for every response. Our HTML pages get a strict CSP (no scripts at all, styles from our origin,
// no framing: clickjacking). The CSP is in place before anything renders: oidc-provider's form_post page
// (OIDC Form Post Response Mode, success and error alike) adds the hash of its one inline auto-submit script to
// the `script-src` it finds (lib/helpers/script_src_sha.js); a CSP added only afterwards would block that script,
// and the code would never reach the app. Pages with a CSP of their own replace it.
import type { Middleware } from 'koa';

const pageCsp = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

/** what Koa's `ctx.response.is('html')` matches, without parsing every response's media type to find out */
const htmlType = /^\s*text\/html\s*(;|$)/i;

/** `script-src 'none' 'sha256-…'`: once a hash was added, 'none' must go (CSP3 ignores it then, with a warning) */
function withoutNoneBesideHashes(csp: string): string {
  return csp.split(';').map((directive) => {
    const [name, ...values] = directive.trim().split(/\s+/);
    if (name !== 'script-src' || !values.some((v) => v.startsWith("'sha256-"))) return directive.trim();
    return [name, ...values.filter((v) => v !== "'none'")].join(' ');
  }).join('; ');
}

export function securityHeaders(options: { https: boolean }): Middleware {
  return async function setSecurityHeaders(ctx, next) {
    ctx.set('Content-Security-Policy', pageCsp);
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      const csp = ctx.response.get('Content-Security-Policy');
      if (htmlType.test(String(ctx.response.get('Content-Type') ?? ''))) {
        // a page that allows its own framing (the admin console's branding preview) says so itself
        if (!ctx.response.get('X-Frame-Options')) ctx.set('X-Frame-Options', 'DENY');
        ctx.set('Content-Security-Policy', csp ? withoutNoneBesideHashes(csp) : pageCsp);
        if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
      } else if (csp === pageCsp) {
        ctx.remove('Content-Security-Policy');
      }
    }
  };
}
