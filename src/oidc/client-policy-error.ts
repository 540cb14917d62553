// A client registered before its tenant tightened a policy (FAPI 2.0, required PAR) no longer passes the provider's
// metadata checks when it is loaded, and oidc-provider answers its requests with `invalid_client_metadata` — a
// registration error (RFC 7591 §3.2.2). At the token, PAR, introspection and revocation endpoints the client
// failed authentication as far as it can tell: RFC 6749 §5.2 `invalid_client`, 401.
import type { KoaContextWithOIDC } from 'oidc-provider';

// dynamic registration and its management (RFC 7591, RFC 7592): there invalid_client_metadata is the right answer
const registrationRoutes = new Set(['registration', 'client', 'client_update', 'client_delete']);

/** rewrites the provider's finished answer (a step of provider-answers.ts) */
export function clientPolicyAnswer(ctx: KoaContextWithOIDC): void {
  if (ctx.status !== 400) return;
  const { oidc } = ctx;
  const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
  if (!oidc || body?.error !== 'invalid_client_metadata' || registrationRoutes.has(oidc.route)) return;
  ctx.status = 401;
  ctx.body = { error: 'invalid_client', error_description: `the client's registration does not meet the tenant's policy: ${String(body.error_description ?? '')}` };
}
