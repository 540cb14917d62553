// What a vendor does with licenses (Management API, CLI, console; issue #20): products and their policies, keys issued
// one at a time or in bulk (each shown once, stored only as its keyed hash), search, activations with their last
// heartbeat, revoking a key or one activation, extending and transferring. Every write is appended here to the
// tenant's hash-chained audit log with the operator who asked (`by`), so each door (API, CLI, console) audits alike.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { ActivationRecord, LicenseRecord, LicensesRepository, PolicyInput, PolicyRecord, ProductRecord } from '../db/licenses.repository.js';
import { AppError } from '../errors/app-error.js';
import { decodeCursor, encodeCursor, type Page } from '../validation/pagination.js';
import { generateLicenseKey } from '../verify/license-key-format.js';
import { keyHintOf, licenseKeyHash } from './license-credentials.js';
import type { ExtendBody, LicenseSearch, PolicyBody } from './license-inputs.js';

const day = 86_400_000;
const uuid = z.string().uuid();

const toPolicyInput = (p: PolicyBody): PolicyInput => ({
  name: p.name, maxDevices: p.max_devices, floating: p.floating, leaseSeconds: p.floating ? p.lease_seconds ?? null : null, validityDays: p.days ?? null,
  entitlements: [...new Set(p.entitlements)], heartbeatSeconds: p.heartbeat_seconds, offlineGraceSeconds: p.offline_grace_seconds, churnLimit: p.churn_limit,
});

export const policyView = (p: PolicyRecord) => ({
  id: p.id, product_id: p.productId, name: p.name, max_devices: p.maxDevices, floating: p.floating, lease_seconds: p.leaseSeconds, days: p.validityDays,
  entitlements: p.entitlements, heartbeat_seconds: p.heartbeatSeconds, offline_grace_seconds: p.offlineGraceSeconds, churn_limit: p.churnLimit, created_at: p.createdAt.toISOString(),
});
export const productView = (p: ProductRecord) => ({ id: p.id, name: p.name, created_at: p.createdAt.toISOString(), policies: p.policies.map(policyView) });

export function licenseStatus(l: Pick<LicenseRecord, 'revokedAt' | 'expiresAt'>, now: Date): 'active' | 'revoked' | 'expired' {
  if (l.revokedAt) return 'revoked';
  return l.expiresAt && l.expiresAt <= now ? 'expired' : 'active';
}
export const licenseView = (l: LicenseRecord, now: Date) => ({
  id: l.id, product_id: l.productId, policy_id: l.policyId, key_hint: l.keyHint, user_id: l.userId, status: licenseStatus(l, now),
  expires_at: l.expiresAt?.toISOString() ?? null, revoked_at: l.revokedAt?.toISOString() ?? null, created_at: l.createdAt.toISOString(),
});
export const activationAdminView = (a: ActivationRecord) => ({
  id: a.id, device_name: a.deviceName, fingerprint_hash: a.fingerprintHash, created_at: a.createdAt.toISOString(), last_heartbeat_at: a.lastHeartbeatAt.toISOString(),
  released_at: a.releasedAt?.toISOString() ?? null, release_reason: a.releaseReason, active: a.releasedAt === null,
});

interface Tenant { readonly id: string }
/** who asked, as the audit log names them: `client:<id>`, `operator:<user id>` or `cli` */
export interface LicenseActor { readonly actor: string; readonly ip?: string | null; readonly userAgent?: string | null }

export function createLicenses(deps: {
  repository: LicensesRepository; audit: AuditLog; pepper: string; now: () => number; userExists(tenantId: string, userId: string): Promise<boolean>;
}) {
  const { repository } = deps;
  const audit = (tenant: Tenant, by: LicenseActor, type: `admin.${string}`, subject: string, data: Record<string, unknown>) =>
    recordAdminAction(deps.audit, { tenantId: tenant.id, actor: by.actor, ip: by.ip ?? null, userAgent: by.userAgent ?? null, type, subject, data });

  async function product(tenant: Tenant, id: string): Promise<ProductRecord> {
    const found = uuid.safeParse(id).success ? await repository.findProduct(tenant.id, id) : null;
    if (!found) throw new AppError('license.product_not_found');
    return found;
  }
  async function license(tenant: Tenant, id: string) {
    const found = uuid.safeParse(id).success ? await repository.find(tenant.id, id) : null;
    if (!found) throw new AppError('license.license_not_found');
    return found;
  }
  async function assertUser(tenant: Tenant, userId: string | null | undefined): Promise<void> {
    if (userId && (!uuid.safeParse(userId).success || !(await deps.userExists(tenant.id, userId)))) throw new AppError('user.not_found');
  }
  /** releases every seat of the license (revoked, transferred) */
  async function releaseAll(licenseId: string, reason: string, now: Date): Promise<number> {
    return repository.withLicenseLocked(licenseId, async (locked) => {
      const held = await locked.held();
      for (const a of held) await locked.release(a.id, reason, now);
      return held.length;
    });
  }

  return {
    async createProduct(tenant: Tenant, input: { name: string; policy: PolicyBody }, by: LicenseActor) {
      const created = await repository.createProduct(tenant.id, input.name, toPolicyInput(input.policy));
      const subject = `license-product:${created.product.id}`;
      await audit(tenant, by, 'admin.license_product_created', subject, { name: input.name, policy_id: created.policy.id });
      await audit(tenant, by, 'admin.license_policy_created', subject, { policy_id: created.policy.id, max_devices: input.policy.max_devices, floating: input.policy.floating, days: input.policy.days ?? null });
      return { product_id: created.product.id, policy_id: created.policy.id, product: productView(created.product) };
    },
    /** @throws AppError('license.product_not_found') */
    async createPolicy(tenant: Tenant, productId: string, policy: PolicyBody, by: LicenseActor) {
      await product(tenant, productId);
      const created = policyView(await repository.createPolicy(tenant.id, productId, toPolicyInput(policy)));
      await audit(tenant, by, 'admin.license_policy_created', `license-product:${created.product_id}`, { policy_id: created.id, max_devices: created.max_devices, floating: created.floating, days: created.days });
      return created;
    },
    listProducts: async (tenant: Tenant) => (await repository.listProducts(tenant.id)).map(productView),
    getProduct: async (tenant: Tenant, id: string) => productView(await product(tenant, id)),

    /**
     * @returns each new key (shown this once) with its license id
     * @throws AppError('license.product_not_found' | 'license.policy_not_found' | 'user.not_found')
     */
    async issue(tenant: Tenant, input: { productId: string; policyId?: string; userId?: string | null; count: number }, by: LicenseActor) {
      const found = await product(tenant, input.productId);
      const policy = input.policyId ? found.policies.find((p) => p.id === input.policyId) : found.policies[0];
      if (!policy) throw new AppError('license.policy_not_found');
      await assertUser(tenant, input.userId);
      const now = new Date(deps.now());
      const expiresAt = policy.validityDays ? new Date(now.getTime() + policy.validityDays * day) : null;
      const keys = Array.from({ length: input.count }, () => generateLicenseKey());
      const rows = keys.map((key) => ({
        id: randomUUID(), tenantId: tenant.id, productId: found.id, policyId: policy.id, keyHash: licenseKeyHash(deps.pepper, tenant.id, key), keyHint: keyHintOf(key),
        userId: input.userId ?? null, expiresAt, createdAt: now,
      }));
      await repository.issue(rows);
      // one entry per key; recorded together, the audit log writes them in few chained batches
      await Promise.all(rows.map((row) => audit(tenant, by, 'admin.license_issued', `license:${row.id}`, { product_id: found.id, policy_id: policy.id, user_id: row.userId, expires_at: expiresAt?.toISOString() ?? null })));
      return keys.map((key, i) => ({ key, license_id: rows[i]!.id, policy_id: policy.id, expires_at: expiresAt?.toISOString() ?? null }));
    },

    async search(tenant: Tenant, query: LicenseSearch): Promise<Page<ReturnType<typeof licenseView>>> {
      const now = new Date(deps.now());
      let after: { createdAt: Date; id: string } | undefined;
      if (query.cursor) {
        const [at, id] = decodeCursor(query.cursor).split('|');
        if (!at || !id || Number.isNaN(Date.parse(at))) throw new AppError('request.invalid', 'cursor: not a cursor this API handed out.');
        after = { createdAt: new Date(at), id };
      }
      const rows = await repository.search(tenant.id, { productId: query.product_id, userId: query.user_id, status: query.status, hint: query.key_hint?.toUpperCase(), limit: query.limit, after }, now);
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items: items.map((l) => licenseView(l, now)), next_cursor: rows.length > query.limit && last ? encodeCursor(`${last.createdAt.toISOString()}|${last.id}`) : null };
    },

    /** a license with its activations (active and released) and their last heartbeat */
    async get(tenant: Tenant, id: string) {
      const found = await license(tenant, id);
      const activations = await repository.activations(tenant.id, found.id);
      return { ...licenseView(found, new Date(deps.now())), policy: policyView(found.policy), activations: activations.map(activationAdminView), seats_used: activations.filter((a) => !a.releasedAt).length };
    },

    /** revokes the key: online checks fail at once, every seat is released; offline tokens end at their expiry */
    async revoke(tenant: Tenant, id: string, by: LicenseActor) {
      const found = await license(tenant, id);
      const now = new Date(deps.now());
      const updated = found.revokedAt ? found : await repository.update(found.id, { revokedAt: now });
      const released = await releaseAll(found.id, 'revoked', now);
      await audit(tenant, by, 'admin.license_revoked', `license:${found.id}`, { released });
      return { license: licenseView(updated, now), released };
    },
    /** @throws AppError('license.license_not_found' | 'license.activation_not_found') */
    async revokeActivation(tenant: Tenant, id: string, activationId: string, by: LicenseActor) {
      const found = await license(tenant, id);
      const activation = uuid.safeParse(activationId).success ? await repository.findActivation(tenant.id, activationId) : null;
      if (!activation || activation.licenseId !== found.id) throw new AppError('license.activation_not_found');
      const now = new Date(deps.now());
      await repository.withLicenseLocked(found.id, (locked) => locked.release(activation.id, 'revoked', now));
      await audit(tenant, by, 'admin.license_activation_revoked', `license:${found.id}`, { activation_id: activation.id });
      return activationAdminView((await repository.findActivation(tenant.id, activation.id))!);
    },
    /** moves the end `days` further (from now when it has passed), or to `expires_at`; `perpetual` removes it */
    async extend(tenant: Tenant, id: string, input: ExtendBody, by: LicenseActor) {
      const found = await license(tenant, id);
      const now = new Date(deps.now());
      const from = found.expiresAt && found.expiresAt > now ? found.expiresAt : now;
      const expiresAt = input.perpetual ? null : input.expires_at ? new Date(input.expires_at) : new Date(from.getTime() + input.days! * day);
      const extended = licenseView(await repository.update(found.id, { expiresAt }), now);
      await audit(tenant, by, 'admin.license_extended', `license:${found.id}`, { expires_at: extended.expires_at });
      return extended;
    },
    /** gives the license to another user (or none); the previous holder's devices lose their seats */
    /** @throws AppError('license.license_not_found' | 'user.not_found') */
    async transfer(tenant: Tenant, id: string, userId: string | null, by: LicenseActor) {
      const found = await license(tenant, id);
      await assertUser(tenant, userId);
      const now = new Date(deps.now());
      const updated = await repository.update(found.id, { userId });
      const released = await releaseAll(found.id, 'transferred', now);
      await audit(tenant, by, 'admin.license_transferred', `license:${found.id}`, { from_user_id: found.userId, to_user_id: userId, released });
      return { license: licenseView(updated, now), previous_user_id: found.userId, released };
    },
  };
}

export type Licenses = ReturnType<typeof createLicenses>;
