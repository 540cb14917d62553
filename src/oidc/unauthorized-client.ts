// RFC 6749 §5.2: a client that authenticated but is not registered for the grant type it uses gets
// `unauthorized_client`. oidc-provider 9 answers `invalid_request` ("requested grant type is not allowed for this
// client"), which tells the client its request is malformed when its registration is what is missing.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

export function unauthorizedClientError(): Middleware {
  return async function unauthorizedClient(context, next) {
    await next();
    const { oidc } = context as KoaContextWithOIDC;
    if (oidc?.route !== 'token' || context.status !== 400 || !oidc.client) return;
    const body = context.body as { error?: unknown } | undefined;
    const grantType = oidc.params?.grant_type;
    if (body?.error === 'invalid_request' && typeof grantType === 'string' && !oidc.client.grantTypeAllowed(grantType)) {
      context.body = { ...body, error: 'unauthorized_client' };
    }
  };
}
