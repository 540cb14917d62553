// Checks of an ID Token as OIDC Core §3.1.3.7 (and §3.3.2.11 for hybrid) tells a relying party to validate it,
// done here independently of openid-client: the signature against the provider's JWKS, iss, aud, azp, exp,
// iat, nonce, auth_time, at_hash and c_hash.
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import { expect, expectEqual } from './check-report.js';
import type { Harness } from './harness.js';

/** OIDC Core §3.1.3.6: the left half of the hash of the ASCII octets, with the hash of the JWS alg */
export function leftHalfHash(value: string, alg: string): string {
  const hash = alg === 'EdDSA' || alg === 'Ed25519' || alg.endsWith('512') ? 'sha512' : alg.endsWith('384') ? 'sha384' : 'sha256';
  const digest = createHash(hash).update(value).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenExpectations {
  clientId: string;
  nonce?: string;
  accessToken?: string;
  code?: string;
  /** a refreshed ID Token (OIDC Core §12.2): a nonce, if any, is the original's */
  refreshedNonce?: string;
  /** auth_time must be present (max_age was sent, or auth_time requested) */
  authTime?: boolean;
  /** the allowed signing algorithms; default: what discovery advertises */
  algs?: string[];
}

/** verifies `idToken`; returns its claims. @throws Error naming the first claim that is wrong */
export async function checkIdToken(h: Harness, idToken: string, expected: IdTokenExpectations): Promise<jose.JWTPayload> {
  const header = jose.decodeProtectedHeader(idToken);
  const metadata = await h.metadata();
  const algs = expected.algs ?? (metadata.id_token_signing_alg_values_supported as string[] | undefined) ?? ['RS256'];
  expect(header.alg && header.alg !== 'none', 'the ID Token is unsigned (alg none)');
  expect(algs.includes(header.alg!), `signed with ${header.alg}, not one of ${algs.join(', ')}`);
  const keys = await h.jwks();
  if (header.kid) expect(keys.keys.some((key) => key.kid === header.kid), `kid ${header.kid} is not in the JWKS`);
  const { payload } = await jose.jwtVerify(idToken, jose.createLocalJWKSet(keys), { algorithms: [header.alg!] })
    .catch((error: Error) => { throw new Error(`signature or time claims do not verify against jwks_uri: ${error.message}`); });
  expectEqual(payload.iss, metadata.issuer, 'iss');
  expect(typeof payload.sub === 'string' && payload.sub.length > 0 && payload.sub.length <= 255, 'sub is a string of 1 to 255 characters');
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  expect(audiences.includes(expected.clientId), `aud ${JSON.stringify(payload.aud)} does not contain the client_id`);
  if (audiences.length > 1 || payload.azp !== undefined) expectEqual(payload.azp, expected.clientId, 'azp');
  const now = Math.floor(Date.now() / 1000);
  expect(typeof payload.exp === 'number' && payload.exp > now, 'exp is missing or past');
  expect(typeof payload.iat === 'number' && payload.iat <= now + 300 && payload.iat > now - 3600, `iat ${payload.iat} is not about now`);
  if (expected.refreshedNonce !== undefined) expect(payload.nonce === undefined || payload.nonce === expected.refreshedNonce, 'the refreshed ID Token has another nonce');
  else if (expected.nonce !== undefined) expectEqual(payload.nonce, expected.nonce, 'nonce');
  else expect(payload.nonce === undefined, 'a nonce was returned though none was sent');
  if (expected.authTime) expect(typeof payload.auth_time === 'number' && payload.auth_time <= now + 300, 'auth_time is missing');
  if (expected.accessToken && payload.at_hash !== undefined) expectEqual(payload.at_hash, leftHalfHash(expected.accessToken, header.alg!), 'at_hash');
  if (expected.code) {
    expect(payload.c_hash !== undefined, 'c_hash is missing from the front-channel ID Token (OIDC Core §3.3.2.11)');
    expectEqual(payload.c_hash, leftHalfHash(expected.code, header.alg!), 'c_hash');
  }
  return payload;
}
