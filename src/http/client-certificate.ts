// The TLS proxy passes the client certificate it verified in a header (MTLS_CERT_HEADER, MTLS_VERIFY_HEADER). Only
// the proxy may set them: on any request that did not come through a trusted proxy they are removed here, before
// any route or the provider (oidc/mtls-certificate.ts) can read them.
import type { Context, Middleware } from 'koa';
import type { TrustProxy } from '../config/trust-proxy.js';
import { peerIsTrustedProxy } from './client-address.js';

/**
 * Whether the request came through the TLS proxy: its socket peer is a trusted proxy (TRUST_PROXY's address list;
 * with a hop count, any peer — so bind Tessera where only the proxy reaches it). The one place mTLS depends on
 * proxy trust.
 */
export function cameThroughTrustedProxy(ctx: Context, trustProxy: TrustProxy): boolean {
  return peerIsTrustedProxy(trustProxy, ctx.req.socket.remoteAddress ?? '');
}

export function clientCertificateHeaders(options: { headers: readonly string[]; trustProxy: TrustProxy }): Middleware {
  return async function onlyFromTrustedProxy(ctx, next) {
    if (!cameThroughTrustedProxy(ctx, options.trustProxy)) {
      for (const name of options.headers) delete ctx.request.headers[name];
    }
    await next();
  };
}
