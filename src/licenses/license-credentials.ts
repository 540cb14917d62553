// What a device presents to the backend license API: the key (hashed with the server's pepper before it is looked
// up: the database holds no usable key; the pepper derives from KEY_ENCRYPTION_KEY, and keys hashed under a former
// one (KEY_ENCRYPTION_KEYS_OLD) are still found), or a license token the tenant signed, checked against its JWKS. An expired
// license token still names its license and activation: the server's own records decide the rest.
import { createHmac } from 'node:crypto';
import { errors, jwtVerify, createLocalJWKSet, type JWK, type JWTPayload } from 'jose';
import type { LicensesRepository, LicenseWithPolicy } from '../db/licenses.repository.js';
import type { SigningKeys } from '../tenants/signing-keys.js';
import { publicJwks } from '../tenants/signing-keys.js';
import { AppError } from '../errors/app-error.js';
import { checkLicenseKey } from '../verify/license-key-format.js';
import { licenseTokenType } from './license-token.js';

export interface LicenseTenant { readonly id: string; readonly issuer: string }

/** HMAC-SHA-256 of the canonical key under the server's pepper, bound to the tenant */
export function licenseKeyHash(pepper: string, tenantId: string, key: string): string {
  return createHmac('sha256', pepper).update(`${tenantId}\n${key}`).digest('base64url');
}

/** the key's last group, shown in listings to tell keys apart (5 of its 120 random bits are the check character) */
export const keyHintOf = (key: string) => key.slice(-5);

export interface PresentedLicense {
  readonly license: LicenseWithPolicy;
  /** the verified claims when a license token was presented */
  readonly token: (JWTPayload & { dfp?: unknown; act?: unknown }) | null;
}

export function createLicenseCredentials(deps: { repository: LicensesRepository; keys: Pick<SigningKeys, 'loadJwks'>; peppers: readonly string[]; now: () => number }) {
  async function byKey(tenant: LicenseTenant, typed: unknown): Promise<LicenseWithPolicy> {
    if (typeof typed !== 'string' || typed.length > 64) throw new AppError('license.invalid_key');
    const checked = checkLicenseKey(typed);
    if (!checked.ok) throw new AppError('license.invalid_key');
    const license = await deps.repository.findByKeyHash(tenant.id, deps.peppers.map((pepper) => licenseKeyHash(pepper, tenant.id, checked.key)));
    if (!license) throw new AppError('license.not_found');
    return license;
  }

  async function byToken(tenant: LicenseTenant, token: unknown): Promise<PresentedLicense> {
    if (typeof token !== 'string' || token.length > 8192) throw new AppError('license.invalid_token');
    const { jwks } = await deps.keys.loadJwks(tenant.id);
    const keys = publicJwks(jwks).keys.filter((k: JWK) => k.alg === 'EdDSA');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, createLocalJWKSet({ keys }), { issuer: tenant.issuer, typ: licenseTokenType, algorithms: ['EdDSA'], currentDate: new Date(deps.now()) }));
    } catch (error) {
      // the signature held (jose checks it before the claims): an expired token still proves its activation
      if (!(error instanceof errors.JWTExpired)) throw new AppError('license.invalid_token');
      payload = error.payload;
    }
    const license = typeof payload.sub === 'string' ? await deps.repository.find(tenant.id, payload.sub) : null;
    if (!license) throw new AppError('license.invalid_token');
    return { license, token: payload };
  }

  return {
    byKey,
    /** @throws AppError license.invalid_key | license.not_found | license.invalid_token | request.invalid */
    async present(tenant: LicenseTenant, body: Record<string, unknown>): Promise<PresentedLicense> {
      if (body.key !== undefined && body.license_token !== undefined) throw new AppError('request.invalid', 'Send either "key" or "license_token", not both.');
      if (body.license_token !== undefined) return byToken(tenant, body.license_token);
      if (body.key === undefined) throw new AppError('request.invalid', 'Send "key" or "license_token".');
      return { license: await byKey(tenant, body.key), token: null };
    },
  };
}

export type LicenseCredentials = ReturnType<typeof createLicenseCredentials>;
