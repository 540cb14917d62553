// RFC 6749 §5.2: a client that authenticated but is not registered for the grant type it uses gets
// `unauthorized_client`. oidc-provider 9 answers `invalid_request` ("requested grant type is not allowed for this
// client"), which tells the client its request is malformed when its registration is what is missing.
import type { KoaContextWithOIDC } from 'oidc-provider';

/** rewrites the provider's finished answer (a step of provider-answers.ts) */
export function unauthorizedClientAnswer(ctx: KoaContextWithOIDC): void {
  const { oidc } = ctx;
  if (oidc?.route !== 'token' || ctx.status !== 400 || !oidc.client) return;
  const body = ctx.body as { error?: unknown } | undefined;
  const grantType = oidc.params?.grant_type;
  if (body?.error === 'invalid_request' && typeof grantType === 'string' && !oidc.client.grantTypeAllowed(grantType)) {
    ctx.body = { ...body, error: 'unauthorized_client' };
  }
}
