// What makes an access token good for one API (RFC 9068 §4), shared by the resource-server guard and the
// permissions-check endpoint: signed by one of the issuer's keys, `typ` at+jwt (so an id_token is never
// taken for an access token), from the issuer, for the API, not expired, and not bound to a key the bearer
// would have to prove possession of (RFC 9449 DPoP, RFC 8705 mTLS) — a plain bearer check cannot.
// Depends on jose only, so apps that mount the guard need nothing else of Tessera.
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface AccessTokenExpectations {
  readonly issuer: string;
  readonly audience: string;
  /** seconds of clock difference tolerated on exp/iat/nbf; default 0 */
  readonly clockToleranceSeconds?: number;
}

export type TokenVerdict =
  | { readonly ok: true; readonly claims: JWTPayload }
  /** invalid: the token is bad (RFC 6750 invalid_token); unavailable: the keys could not be fetched */
  | { readonly ok: false; readonly reason: 'invalid' | 'unavailable'; readonly description: string };

// RFC 9068 §2.2 lists iss, exp, aud, sub, client_id, iat and jti as required; exp, sub and client_id are what
// a resource server relies on (jose checks exp only when it is present).
const requiredClaims = ['exp', 'sub', 'client_id'];

function describe(error: unknown): TokenVerdict {
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'invalid', description: 'the access token expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    const which = error.claim === 'typ' ? 'it is not an access token (typ at+jwt)' : `its ${error.claim} claim is not valid here`;
    return { ok: false, reason: 'invalid', description: `the access token was refused: ${which}` };
  }
  // jose throws a bare JOSEError (or the fetch's own error) when the key set cannot be fetched or parsed
  const fetchFailed = error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError) || error.constructor === errors.JOSEError;
  if (fetchFailed) return { ok: false, reason: 'unavailable', description: 'the signing keys could not be fetched' };
  return { ok: false, reason: 'invalid', description: 'the access token is malformed or its signature does not verify' };
}

export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, expected: AccessTokenExpectations): Promise<TokenVerdict> {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.audience,
      typ: 'at+jwt',
      requiredClaims,
      clockTolerance: expected.clockToleranceSeconds ?? 0,
    }));
  } catch (error) {
    return describe(error);
  }
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  if (cnf && typeof cnf === 'object' && Object.keys(cnf).length) {
    return { ok: false, reason: 'invalid', description: 'the access token is bound to a key (DPoP or mTLS) and cannot be used as a bearer token' };
  }
  return { ok: true, claims };
}

/** the names a token lists under `claim` (its permissions, its roles): a JSON array of strings, or a space-delimited string like `scope` */
export function listClaim(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((p): p is string => typeof p === 'string');
  return [];
}

/** the required permissions the holder lacks, in the order they were asked for */
export function missingPermissions(held: readonly string[], required: readonly string[]): string[] {
  const set = new Set(held);
  return required.filter((p) => !set.has(p));
}
