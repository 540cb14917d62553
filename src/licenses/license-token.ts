// License tokens and signed validation answers: compact JWS signed with the tenant's current EdDSA (Ed25519) key,
// the one its JWKS publishes, `kid` in the header, so any JOSE library verifies them with no network once it holds
// the JWKS (RFC 7515, RFC 8037). Times come from the service's clock, never jose's, so tests move them on.
import { createHash, randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { SigningKeys } from '../tenants/signing-keys.js';
import { AppError } from '../errors/app-error.js';

/** the JWS `typ` of a license token and of a signed validation answer */
export const licenseTokenType = 'license+jwt';
export const validationAnswerType = 'license-validation+jwt';
/** a signed validation answer is good for this long: enough to cross the wire, too short to keep and replay */
const answerLifetimeSeconds = 300;

/** SHA-256 of the device fingerprint, base64url: what the server stores and the token's `dfp` holds */
export const fingerprintHash = (fingerprint: string) => createHash('sha256').update(fingerprint, 'utf8').digest('base64url');

export interface LicenseTokenInput {
  issuer: string;
  licenseId: string;
  productId: string;
  policyId: string;
  entitlements: string[];
  activationId: string;
  fingerprintHash: string;
  userId: string | null;
  /** the license's own end, null when perpetual */
  licenseExpiresAt: Date | null;
  /** how long the device may stay silent before its seat is released (heartbeat interval, or a floating lease); 0: no limit */
  heartbeatSeconds: number;
  offlineGraceSeconds: number;
  sequence: number;
  now: Date;
}

/** without a heartbeat the token is renewed weekly (a validate or heartbeat call) */
const defaultRenewalSeconds = 7 * 86_400;

export interface LicenseSigner {
  /** @returns the token and its expiry (seconds since the epoch) */
  licenseToken(tenantId: string, input: LicenseTokenInput): Promise<{ token: string; exp: number }>;
  validationAnswer(tenantId: string, input: { issuer: string; licenseId: string; activationId: string; fingerprintHash: string; nonce: string | null; entitlements: string[]; sequence: number; now: Date }): Promise<string>;
}

export function createLicenseSigner(deps: { keys: Pick<SigningKeys, 'loadJwks'> }): LicenseSigner {
  /** @throws AppError('license.signing_unavailable') when the tenant has no signing Ed25519 key */
  async function signingKey(tenantId: string): Promise<{ kid: string; key: CryptoKey }> {
    const { jwks } = await deps.keys.loadJwks(tenantId);
    const jwk = (jwks.keys as JWK[]).find((k) => k.alg === 'EdDSA' && !k.key_ops && typeof k.kid === 'string');
    if (!jwk) throw new AppError('license.signing_unavailable');
    return { kid: jwk.kid!, key: (await importJWK(jwk, 'EdDSA')) as CryptoKey };
  }

  return {
    async licenseToken(tenantId, input) {
      const { kid, key } = await signingKey(tenantId);
      const iat = Math.floor(input.now.getTime() / 1000);
      // valid until the next heartbeat is due plus the offline grace, never past the license's own end
      let exp = iat + (input.heartbeatSeconds || defaultRenewalSeconds) + input.offlineGraceSeconds;
      if (input.licenseExpiresAt) exp = Math.min(exp, Math.floor(input.licenseExpiresAt.getTime() / 1000));
      const token = await new SignJWT({
        product: input.productId, policy: input.policyId, entitlements: input.entitlements, dfp: input.fingerprintHash,
        act: input.activationId, grace: input.offlineGraceSeconds, hb: input.heartbeatSeconds, seq: input.sequence,
        lic_exp: input.licenseExpiresAt ? Math.floor(input.licenseExpiresAt.getTime() / 1000) : null,
        ...(input.userId ? { user: input.userId } : {}),
      })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: licenseTokenType })
        .setIssuer(input.issuer).setSubject(input.licenseId).setAudience(input.productId)
        .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(exp).setJti(randomUUID())
        .sign(key);
      return { token, exp };
    },
    async validationAnswer(tenantId, input) {
      const { kid, key } = await signingKey(tenantId);
      const iat = Math.floor(input.now.getTime() / 1000);
      return new SignJWT({ status: 'valid', nonce: input.nonce, act: input.activationId, dfp: input.fingerprintHash, entitlements: input.entitlements, seq: input.sequence })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: validationAnswerType })
        .setIssuer(input.issuer).setSubject(input.licenseId)
        .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + answerLifetimeSeconds).setJti(randomUUID())
        .sign(key);
    },
  };
}
