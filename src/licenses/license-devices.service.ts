// What devices do with a license through the backend API (issue #20): activate, validate, heartbeat, deactivate.
// Seats are taken under the license's row lock (licenses.repository.ts), so concurrent activations never exceed the
// policy; a device activating again gets its own activation back and takes no second seat. Activations and
// deactivations of a key are counted against the policy's churn limit before they are judged (reserve-then-check).
import type { AuditLog } from '../audit/audit-log.js';
import type { ActivationRecord, LicensesRepository, LicenseWithPolicy, LockedLicense } from '../db/licenses.repository.js';
import { AppError } from '../errors/app-error.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { LicenseCredentials, LicenseTenant, PresentedLicense } from './license-credentials.js';
import { fingerprintHash, type LicenseSigner } from './license-token.js';
import { readDeactivationReceipt } from './deactivation-receipt.js';

export interface DeviceCaller { readonly tenant: LicenseTenant; readonly appId: string; readonly ip?: string }

const churnWindowSeconds = 3600;
/** what a device asked for, as its audit entries name it */
type DeviceStep = 'activate' | 'validate' | 'heartbeat' | 'deactivate';
const textField = (value: unknown, name: string, max: number, optional = false): string | null => {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new AppError('request.invalid', `Send "${name}" as a string.`);
  }
  if (typeof value !== 'string' || !value || value.length > max) throw new AppError('request.invalid', `"${name}" must be a string of 1 to ${max} characters.`);
  return value;
};

/** a public Ed25519 or P-256 JWK: the key a device signs its deactivation receipts with */
function devicePublicKey(value: unknown): object | null {
  if (value === undefined || value === null) return null;
  const jwk = value as Record<string, unknown>;
  const ok = typeof value === 'object' && !Array.isArray(value) && !('d' in jwk) && JSON.stringify(value).length <= 1024
    && ((jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string') || (jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string'));
  if (!ok) throw new AppError('request.invalid', '"device_public_key" must be a public JWK: OKP Ed25519 or EC P-256.');
  const { kty, crv, x, y } = jwk;
  return { kty, crv, x, ...(y !== undefined ? { y } : {}) };
}

/** how long an activation may stay silent before its seat is released; null: forever */
function silenceAllowedSeconds(policy: LicenseWithPolicy['policy']): number | null {
  if (policy.floating && policy.leaseSeconds) return policy.leaseSeconds;
  return policy.heartbeatSeconds > 0 ? policy.heartbeatSeconds : null;
}

const activationView = (a: ActivationRecord) => ({
  id: a.id, license_id: a.licenseId, device_name: a.deviceName, created_at: a.createdAt.toISOString(), last_heartbeat_at: a.lastHeartbeatAt.toISOString(),
});

export function createLicenseDevices(deps: { repository: LicensesRepository; credentials: LicenseCredentials; signer: LicenseSigner; limiter: RateLimiter; audit: AuditLog; now: () => number }) {
  const { repository, signer, audit } = deps;

  function assertUsable(license: LicenseWithPolicy, now: Date): void {
    if (license.revokedAt) throw new AppError('license.revoked');
    if (license.expiresAt && license.expiresAt <= now) throw new AppError('license.expired');
  }

  /**
   * runs `work` under the license's lock, its silent activations released first; their audit entries are recorded
   * once that release is committed (an entry for a release rolled back would be false), before the caller answers
   */
  async function lockedAndSwept<T>(caller: DeviceCaller, license: LicenseWithPolicy, now: Date, work: (held: ActivationRecord[], locked: LockedLicense) => Promise<T>): Promise<T> {
    const allowed = silenceAllowedSeconds(license.policy);
    let released: ActivationRecord[] = [];
    const result = await repository.withLicenseLocked(license.id, async (locked) => {
      released = allowed === null ? [] : await locked.releaseSilent(new Date(now.getTime() - allowed * 1000), now);
      return work(await locked.held(), locked);
    });
    await Promise.all(released.map((a) => audit.record({
      tenantId: caller.tenant.id, type: 'license.activation_released', actor: `app:${caller.appId}`, subject: `license:${license.id}`, data: { activation_id: a.id, reason: 'silent' },
    })));
    return result;
  }

  /** a device's step refused for a known license, in the audit chain (the seat limit has an entry of its own) */
  async function recordRefusal(caller: DeviceCaller, licenseId: string, step: DeviceStep, error: unknown): Promise<void> {
    if (!(error instanceof AppError) || !error.code.startsWith('license.') || error.code === 'license.seat_limit') return;
    await audit.record({ tenantId: caller.tenant.id, type: 'license.refused', actor: `app:${caller.appId}`, subject: `license:${licenseId}`, ip: caller.ip, outcome: 'failure', data: { step, code: error.code } });
  }

  /** runs a step for a found license; a refusal is audited before it is answered */
  async function audited<T>(caller: DeviceCaller, licenseId: string, step: DeviceStep, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      await recordRefusal(caller, licenseId, step, error);
      throw error;
    }
  }

  async function reserveChurn(license: LicenseWithPolicy) {
    const reservation = await deps.limiter.reserve('license-churn', license.id, { limit: license.policy.churnLimit, windowSeconds: churnWindowSeconds });
    if (!reservation.allowed) throw new AppError('license.rate_limited', undefined, { retryAfterSeconds: reservation.retryAfterSeconds });
    return reservation;
  }

  async function token(caller: DeviceCaller, license: LicenseWithPolicy, activation: ActivationRecord, now: Date) {
    const sequence = await repository.nextSequence(license.id);
    return signer.licenseToken(caller.tenant.id, {
      issuer: caller.tenant.issuer, licenseId: license.id, productId: license.productId, policyId: license.policyId, entitlements: license.policy.entitlements,
      activationId: activation.id, fingerprintHash: activation.fingerprintHash, userId: license.userId, licenseExpiresAt: license.expiresAt,
      heartbeatSeconds: silenceAllowedSeconds(license.policy) ?? 0, offlineGraceSeconds: license.policy.offlineGraceSeconds, sequence, now,
    });
  }

  /** the presented license and the device's fingerprint hash; a license token must be the device's own */
  async function presented(caller: DeviceCaller, body: Record<string, unknown>, step: DeviceStep): Promise<PresentedLicense & { dfp: string }> {
    const dfp = fingerprintHash(textField(body.device_fingerprint, 'device_fingerprint', 512)!);
    const found = await deps.credentials.present(caller.tenant, body);
    if (found.token && found.token.dfp !== dfp) {
      const mismatch = new AppError('license.fingerprint_mismatch');
      await recordRefusal(caller, found.license.id, step, mismatch);
      throw mismatch;
    }
    return { ...found, dfp };
  }

  /** the activation holding a seat for this device (the token's own, when a token was presented) */
  const holding = (held: ActivationRecord[], found: PresentedLicense & { dfp: string }): ActivationRecord | undefined =>
    held.find((a) => a.fingerprintHash === found.dfp && (!found.token || found.token.act === a.id));
  /** @throws AppError('license.not_activated') */
  function heldBy(held: ActivationRecord[], found: PresentedLicense & { dfp: string }): ActivationRecord {
    const activation = holding(held, found);
    if (!activation) throw new AppError('license.not_activated');
    return activation;
  }

  async function activateFound(caller: DeviceCaller, license: LicenseWithPolicy, device: { dfp: string; deviceName: string | null; publicKey: ReturnType<typeof devicePublicKey> }) {
    const { dfp, deviceName, publicKey } = device;
    const reservation = await reserveChurn(license);
    const now = new Date(deps.now());
    try {
      assertUsable(license, now);
    } catch (error) {
      await reservation.release();
      throw error;
    }
    const outcome = await lockedAndSwept(caller, license, now, async (held, locked) => {
      const existing = held.find((a) => a.fingerprintHash === dfp);
      if (existing) return { activation: await locked.touch(existing.id, now), reactivated: true };
      if (held.length >= license.policy.maxDevices) return null;
      return { activation: await locked.create(caller.tenant.id, { fingerprintHash: dfp, deviceName, devicePublicKey: publicKey, now }), reactivated: false };
    });
    // not churn: nothing changed
    if (!outcome || outcome.reactivated) await reservation.release();
    if (!outcome) {
      await audit.record({ tenantId: caller.tenant.id, type: 'license.activation_refused', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, outcome: 'failure', data: { reason: 'seat_limit' } });
      throw new AppError('license.seat_limit');
    }
    const { activation, reactivated } = outcome;
    if (!reactivated) await audit.record({ tenantId: caller.tenant.id, type: 'license.activated', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, data: { activation_id: activation.id, device_name: deviceName } });
    const signed = await token(caller, license, activation, now);
    return { activation: activationView(activation), reactivated, license_token: signed.token, expires_at: new Date(signed.exp * 1000).toISOString() };
  }

  async function validateFound(caller: DeviceCaller, found: PresentedLicense & { dfp: string }, nonce: string | null) {
    const { license } = found;
    const now = new Date(deps.now());
    assertUsable(license, now);
    // the lock only when a silent activation must be released: validations of a busy license do not queue
    const allowed = silenceAllowedSeconds(license.policy);
    const snapshot = await repository.held(license.id);
    const silent = allowed !== null && snapshot.some((a) => a.lastHeartbeatAt.getTime() < now.getTime() - allowed * 1000);
    const held = silent ? await lockedAndSwept(caller, license, now, async (swept) => swept) : snapshot;
    const activation = heldBy(held, found);
    const sequence = await repository.nextSequence(license.id);
    const signed = await signer.validationAnswer(caller.tenant.id, {
      issuer: caller.tenant.issuer, licenseId: license.id, activationId: activation.id, fingerprintHash: found.dfp, nonce, entitlements: license.policy.entitlements, sequence, now,
    });
    await audit.record({ tenantId: caller.tenant.id, type: 'license.validated', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, data: { activation_id: activation.id, sequence, nonce: nonce !== null } });
    return {
      valid: true, nonce,
      license: { id: license.id, product_id: license.productId, policy_id: license.policyId, entitlements: license.policy.entitlements, expires_at: license.expiresAt?.toISOString() ?? null },
      activation: activationView(activation), signed_answer: signed,
    };
  }

  async function heartbeatFound(caller: DeviceCaller, found: PresentedLicense & { dfp: string }) {
    const { license } = found;
    const now = new Date(deps.now());
    assertUsable(license, now);
    // a device released for its silence learns so once that release is committed (no throw inside the lock)
    const activation = await lockedAndSwept(caller, license, now, async (held, locked) => {
      const current = holding(held, found);
      return current ? locked.touch(current.id, now) : null;
    });
    if (!activation) throw new AppError('license.not_activated');
    const signed = await token(caller, license, activation, now);
    await audit.record({ tenantId: caller.tenant.id, type: 'license.heartbeat', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, data: { activation_id: activation.id } });
    return { activation: activationView(activation), license_token: signed.token, expires_at: new Date(signed.exp * 1000).toISOString() };
  }

  return {
    /** @throws AppError license.* (invalid_key, not_found, revoked, expired, seat_limit, rate_limited) | request.invalid */
    async activate(caller: DeviceCaller, body: Record<string, unknown>) {
      const dfp = fingerprintHash(textField(body.device_fingerprint, 'device_fingerprint', 512)!);
      const deviceName = textField(body.device_name, 'device_name', 100, true);
      const publicKey = devicePublicKey(body.device_public_key);
      const license = await deps.credentials.byKey(caller.tenant, body.key);
      return audited(caller, license.id, 'activate', () => activateFound(caller, license, { dfp, deviceName, publicKey }));
    },

    /** @throws AppError license.* | request.invalid */
    async validate(caller: DeviceCaller, body: Record<string, unknown>) {
      const nonce = textField(body.nonce, 'nonce', 128, true);
      const found = await presented(caller, body, 'validate');
      return audited(caller, found.license.id, 'validate', () => validateFound(caller, found, nonce));
    },

    /** renews the license token; an activation released after a silence must activate again */
    async heartbeat(caller: DeviceCaller, body: Record<string, unknown>) {
      const found = await presented(caller, body, 'heartbeat');
      return audited(caller, found.license.id, 'heartbeat', () => heartbeatFound(caller, found));
    },

    /** frees the device's seat: from the device (key or token + fingerprint), or later from its signed receipt */
    async deactivate(caller: DeviceCaller, body: Record<string, unknown>) {
      const now = new Date(deps.now());
      if (body.receipt !== undefined) {
        const receipt = await readDeactivationReceipt(caller.tenant.id, repository, body.receipt);
        const license = await repository.find(caller.tenant.id, receipt.activation.licenseId);
        if (!license) throw new AppError('license.invalid_receipt');
        if (receipt.activation.releasedAt) return { deactivated: true, activation_id: receipt.activation.id, already: true };
        const reservation = await reserveChurn(license);
        const released = await repository.withLicenseLocked(license.id, (locked) => locked.release(receipt.activation.id, 'receipt', now));
        if (!released.count) await reservation.release();
        await audit.record({ tenantId: caller.tenant.id, type: 'license.deactivated', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, data: { activation_id: receipt.activation.id, by: 'receipt', receipt_id: receipt.jti } });
        return { deactivated: true, activation_id: receipt.activation.id, already: !released.count };
      }
      const found = await presented(caller, body, 'deactivate');
      const { license } = found;
      return audited(caller, license.id, 'deactivate', async () => {
        const reservation = await reserveChurn(license);
        const activation = await repository.withLicenseLocked(license.id, async (locked) => {
          const current = heldBy(await locked.held(), found);
          await locked.release(current.id, 'deactivated', now);
          return current;
        }).catch(async (error: unknown) => {
          await reservation.release();
          throw error;
        });
        await audit.record({ tenantId: caller.tenant.id, type: 'license.deactivated', actor: `app:${caller.appId}`, subject: `license:${license.id}`, ip: caller.ip, data: { activation_id: activation.id, by: 'device' } });
        return { deactivated: true, activation_id: activation.id, already: false };
      });
    },
  };
}

export type LicenseDevices = ReturnType<typeof createLicenseDevices>;
