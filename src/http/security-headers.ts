// Headers for every response. Our HTML pages get a strict CSP (no scripts at all, styles from our origin,
// no framing: clickjacking); pages oidc-provider renders itself (form_post) keep the CSP it sets.
import type { Middleware } from 'koa';

const pageCsp = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

export function securityHeaders(options: { https: boolean }): Middleware {
  return async function setSecurityHeaders(ctx, next) {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      if (ctx.response.is('html')) {
        // a page that allows its own framing (the admin console's branding preview) says so itself
        if (!ctx.response.get('X-Frame-Options')) ctx.set('X-Frame-Options', 'DENY');
        if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', pageCsp);
        if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
      }
    }
  };
}
