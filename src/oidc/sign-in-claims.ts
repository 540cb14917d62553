// How and when the user signed in, in every access token issued for a user (RFC 9068 §2.2.1): `auth_time`, `acr` and
// `amr` (RFC 8176), so a resource server can ask for a second factor (tessera/verify's claims, tessera/rls's
// auth.aal()). They are the id_token's own values, read from the record oidc-provider issues the id_token from: the
// authorization code, device code or refresh token, each stamped from the session's login (lib/helpers/
// process_response_types.js, grant_common.js, grants/refresh_token.js), or the session itself for a token from the
// authorization endpoint (implicit and hybrid). A login transaction's grant (login-transaction-grant.ts) puts them on
// its refresh token the same way. Tokens with no sign-in behind them (client credentials, token exchange) get none.
import type { KoaContextWithOIDC } from 'oidc-provider';

interface SignIn { amr?: unknown; acr?: unknown; authTime?: unknown }
interface Session { accountId?: unknown; amr?: unknown; acr?: unknown; authTime?(): unknown }

/** the sign-in the token being issued descends from, in the shape of a code or refresh token */
function signInOf(ctx: KoaContextWithOIDC | undefined): SignIn | undefined {
  const oidc = ctx?.oidc;
  if (!oidc) return undefined;
  const { entities } = oidc as unknown as { entities: Record<string, SignIn | undefined> };
  const source = entities.AuthorizationCode ?? entities.DeviceCode ?? entities.BackchannelAuthenticationRequest ?? entities.RefreshToken;
  if (source) return source;
  // set only on the routes that read the browser's session (authorization, resume, device confirmation)
  const session = (oidc as unknown as { session?: Session }).session;
  return session?.accountId !== undefined ? { amr: session.amr, acr: session.acr, authTime: session.authTime?.() } : undefined;
}

/** the extraTokenClaims of a user's access token: `amr`, `acr` and `auth_time` as its id_token says them */
export function signInClaims(ctx: KoaContextWithOIDC | undefined, token: unknown): Record<string, unknown> | undefined {
  const issued = token as { kind?: string; accountId?: string };
  if (issued.kind !== 'AccessToken' || !issued.accountId) return undefined;
  const from = signInOf(ctx);
  if (!from) return undefined;
  return {
    ...(Array.isArray(from.amr) && from.amr.length ? { amr: from.amr } : {}),
    ...(typeof from.acr === 'string' && from.acr ? { acr: from.acr } : {}),
    ...(typeof from.authTime === 'number' ? { auth_time: from.authTime } : {}),
  };
}
