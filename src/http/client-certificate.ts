// The TLS proxy passes the client certificate it verified in a header (MTLS_CERT_HEADER, MTLS_VERIFY_HEADER). Only
// the proxy may set them: on any request that did not come through a trusted proxy they are removed here, before
// any route or the provider (oidc/mtls-certificate.ts) can read them.
import type { Context, Middleware } from 'koa';

/**
 * Whether the request came through the TLS proxy. The one place mTLS depends on proxy trust: today TRUST_PROXY is
 * a yes/no for the whole deployment; a hop count or CIDR list replaces this function, not its callers.
 */
export function cameThroughTrustedProxy(_ctx: Context, trustProxy: boolean): boolean {
  return trustProxy;
}

export function clientCertificateHeaders(options: { headers: readonly string[]; trustProxy: boolean }): Middleware {
  return async function onlyFromTrustedProxy(ctx, next) {
    if (!cameThroughTrustedProxy(ctx, options.trustProxy)) {
      for (const name of options.headers) delete ctx.request.headers[name];
    }
    await next();
  };
}
