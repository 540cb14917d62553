// `tessera/verify` for apps that check a Tessera license on the device (issue #20), with no network once the JWKS is
// at hand: `verifyLicense` checks a license token (EdDSA JWS, `kid` from the tenant's JWKS), the device it was
// issued to (`dfp`, SHA-256 of the fingerprint) and, given the highest sequence number the device has seen, that it is
// not an older token put back (rollback). `verifyLicenseAnswer` checks a signed online validation answer and that it
// echoes the nonce the device sent, so a recorded "valid" cannot be replayed. `createDeactivationReceipt` is what a
// device that cannot reach the server signs to give its seat back later. Depends on jose only.
import { createLocalJWKSet, createRemoteJWKSet, errors, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface LicenseVerifyOptions {
  /** the tenant's issuer, e.g. https://id.example.com/t/acme */
  readonly issuer: string;
  /** the tenant's JWKS, bundled with the app or saved from an earlier fetch: no network at all */
  readonly jwks?: JSONWebKeySet;
  /** where to fetch the JWKS when `jwks` is not given; default `{issuer}/jwks` */
  readonly jwksUri?: string;
  /** this device's fingerprint, as sent at activation: the token must be this device's */
  readonly deviceFingerprint?: string;
  /** the product the app is: the token's audience */
  readonly productId?: string;
  /** the highest `seq` this device has accepted: an older token is refused (rollback) */
  readonly minimumSequence?: number;
  /** the device's idea of now; default the system clock */
  readonly currentDate?: Date;
  /** seconds of clock difference tolerated on exp/nbf; default 60 */
  readonly clockToleranceSeconds?: number;
}

export interface LicenseClaims extends JWTPayload {
  readonly sub: string;
  readonly product: string;
  readonly policy: string;
  readonly entitlements: string[];
  /** SHA-256 of the device fingerprint, base64url */
  readonly dfp: string;
  /** the activation id */
  readonly act: string;
  /** offline grace included in exp, seconds */
  readonly grace: number;
  /** seconds within which the device must heartbeat to keep its seat (the heartbeat interval, or a floating lease; 0: none) */
  readonly hb: number;
  /** monotonic per license: keep the highest seen and pass it as minimumSequence */
  readonly seq: number;
  readonly lic_exp: number | null;
  readonly exp: number;
}

export type LicenseVerificationCode = 'invalid_license' | 'expired' | 'fingerprint_mismatch' | 'rollback' | 'nonce_mismatch' | 'temporarily_unavailable';

export class LicenseVerificationError extends Error {
  constructor(readonly code: LicenseVerificationCode, message: string) {
    super(message);
    this.name = 'LicenseVerificationError';
  }
}

/** SHA-256 of a device fingerprint, base64url: the `dfp` of its license tokens */
export async function deviceFingerprintHash(fingerprint: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(fingerprint)));
  return Buffer.from(digest).toString('base64url');
}

/** one fetched key set per JWKS URI: jose keeps it, and refetches for a kid it does not know (a rotation) */
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

function keysFor(options: LicenseVerifyOptions): JWTVerifyGetKey {
  if (options.jwks) return createLocalJWKSet({ keys: options.jwks.keys.filter((k) => k.alg === 'EdDSA' && !('d' in k)) });
  const uri = options.jwksUri ?? `${options.issuer.replace(/\/$/, '')}/jwks`;
  let keys = remoteKeySets.get(uri);
  if (!keys) remoteKeySets.set(uri, (keys = createRemoteJWKSet(new URL(uri))));
  return keys;
}

async function verified(token: string, typ: string, options: LicenseVerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keysFor(options), {
      issuer: options.issuer, typ, algorithms: ['EdDSA'], currentDate: options.currentDate, clockTolerance: options.clockToleranceSeconds ?? 60,
      ...(options.productId ? { audience: options.productId } : {}),
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new LicenseVerificationError('expired', 'the license token expired: the device must reach the server (heartbeat or validate)');
    if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && !options.jwks)) throw new LicenseVerificationError('temporarily_unavailable', 'the JWKS could not be fetched');
    throw new LicenseVerificationError('invalid_license', 'the license token is malformed, not signed by this issuer, or not for this product');
  }
}

/**
 * The claims of a license token issued to this device.
 * @throws LicenseVerificationError invalid_license | expired | fingerprint_mismatch | rollback | temporarily_unavailable
 */
export async function verifyLicense(token: string, options: LicenseVerifyOptions): Promise<LicenseClaims> {
  const payload = await verified(token, 'license+jwt', options);
  if (options.deviceFingerprint !== undefined && payload.dfp !== (await deviceFingerprintHash(options.deviceFingerprint))) {
    throw new LicenseVerificationError('fingerprint_mismatch', 'the license token was issued to another device');
  }
  if (typeof payload.seq !== 'number' || (options.minimumSequence !== undefined && payload.seq < options.minimumSequence)) {
    throw new LicenseVerificationError('rollback', 'the license token is older than one this device already accepted');
  }
  return { ...payload, entitlements: Array.isArray(payload.entitlements) ? payload.entitlements.filter((e): e is string => typeof e === 'string') : [] } as LicenseClaims;
}

/**
 * A signed answer of POST /licenses/validate, checked and bound to the nonce this device sent with the request.
 * @throws LicenseVerificationError invalid_license | expired | nonce_mismatch | temporarily_unavailable
 */
export async function verifyLicenseAnswer(answer: string, options: LicenseVerifyOptions & { readonly nonce: string }): Promise<JWTPayload & { status: 'valid'; nonce: string; entitlements: string[] }> {
  const payload = await verified(answer, 'license-validation+jwt', options);
  if (payload.nonce !== options.nonce) throw new LicenseVerificationError('nonce_mismatch', 'the answer does not echo this request\'s nonce: it may be a replay');
  if (payload.status !== 'valid') throw new LicenseVerificationError('invalid_license', 'the answer does not say valid');
  return payload as JWTPayload & { status: 'valid'; nonce: string; entitlements: string[] };
}

/**
 * A deactivation receipt for an activation, signed with the device's private key (the public half was sent as
 * `device_public_key` at activation). Presented later to POST /licenses/deactivate as `receipt`, it frees the seat.
 */
export async function createDeactivationReceipt(devicePrivateKey: JWK, activation: { activationId: string; fingerprintHash: string; now?: Date }): Promise<string> {
  const alg = devicePrivateKey.kty === 'OKP' ? 'EdDSA' : 'ES256';
  const iat = Math.floor((activation.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ act: activation.activationId, dfp: activation.fingerprintHash })
    .setProtectedHeader({ alg, typ: 'license-deactivation+jwt' })
    .setIssuedAt(iat).setJti(crypto.randomUUID())
    .sign(await importJWK(devicePrivateKey, alg));
}
