// What Sign in with Apple does beyond a plain oidc-provider (VENDORS §7): the authorization request's
// response_mode rule, the ES256 client_secret JWT at the token endpoint, and the `user` JSON that only the
// first form_post to a client carries.
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { escapeHtml } from './upstream-http.js';
import type { UpstreamAccount } from './oidc-upstream-profile.js';

/** jose 6 no longer exports KeyLike; these are the key objects its jwtVerify takes besides a JWK */
export type KeyLike = CryptoKey | KeyObject;

export interface AppleClientKey { teamId: string; keyId: string; publicKey: KeyLike | JWK }

export const APPLE_AUDIENCE = 'https://appleid.apple.com';
const SIX_MONTHS = 15_777_000;

/** Why Apple would refuse this authorization request, or null. */
export function appleAuthorizationProblem(params: Record<string, string>): string | null {
  const scopes = (params.scope ?? '').split(' ');
  const responseType = params.response_type ?? '';
  if (responseType !== 'code' && responseType !== 'code id_token') return `response_type must be code or "code id_token", got "${responseType}"`;
  if ((scopes.includes('name') || scopes.includes('email')) && params.response_mode !== 'form_post') {
    return 'response_mode must be form_post when name or email scope is requested';
  }
  if (responseType === 'code id_token' && params.response_mode !== 'form_post' && params.response_mode !== 'fragment') {
    return 'response_mode must be form_post or fragment when id_token is requested';
  }
  return null;
}

/**
 * Why this client_secret is not the JWT Apple requires of `clientId`, or null: header alg ES256 with the key's
 * kid; iss = Team ID, sub = client_id, aud = https://appleid.apple.com; iat and exp, exp at most six months on.
 */
export async function appleClientSecretProblem(secret: string | undefined, clientId: string, key: AppleClientKey): Promise<string | null> {
  if (!secret) return 'client_secret missing';
  let header;
  try {
    header = decodeProtectedHeader(secret);
  } catch {
    return 'client_secret is not a JWT';
  }
  if (header.alg !== 'ES256') return `client_secret alg ${String(header.alg)}, not ES256`;
  if (header.kid !== key.keyId) return `client_secret kid ${String(header.kid)}, not the key id ${key.keyId}`;
  try {
    const { payload } = await jwtVerify(secret, key.publicKey, {
      algorithms: ['ES256'], issuer: key.teamId, subject: clientId, audience: APPLE_AUDIENCE, requiredClaims: ['iat', 'exp'],
    });
    if (payload.exp! - payload.iat! > SIX_MONTHS) return 'client_secret exp is more than 15777000 s after iat';
    return null;
  } catch (error) {
    return `client_secret rejected: ${(error as Error).message}`;
  }
}

/** The `user` form field Apple posts on a first authorization: a JSON string with what the scopes asked for. */
export function appleUserField(account: UpstreamAccount, scope: string): string | null {
  const scopes = scope.split(' ');
  if (!scopes.includes('name') && !scopes.includes('email')) return null;
  const [first, ...rest] = (account.name ?? '').split(' ');
  const user: Record<string, unknown> = {};
  if (scopes.includes('name')) user.name = { firstName: account.given_name ?? first ?? '', lastName: account.family_name ?? rest.join(' ') };
  if (scopes.includes('email') && account.email !== undefined) user.email = account.email;
  return JSON.stringify(user);
}

/** oidc-provider's form_post page with a hidden `user` input added to its form */
export function withUserInput(html: string, user: string): string {
  return html.replace(/(<form method="post"[^>]*>)/, `$1\n    <input type="hidden" name="user" value="${escapeHtml(user)}"/>`);
}
