// What a vendor does with licenses (Management API, CLI, console; issue #20): products and their policies, keys issued
// one at a time or in bulk (each shown once, stored only as its keyed hash), search, activations with their last
// heartbeat, revoking a key or one activation, extending and transferring. Auditing is the caller's (operations).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ActivationRecord, LicenseRecord, LicensesRepository, PolicyInput, PolicyRecord, ProductRecord } from '../db/licenses.repository.js';
import { AppError } from '../errors/app-error.js';
import { decodeCursor, encodeCursor, type Page } from '../validation/pagination.js';
import { generateLicenseKey } from '../verify/license-key-format.js';
import { keyHintOf, licenseKeyHash } from './license-credentials.js';

const day = 86_400_000;
const uuid = z.string().uuid();

export const policySchema = z.object({
  name: z.string().min(1).max(100).default('default'),
  max_devices: z.number().int().min(1).max(100_000),
  floating: z.boolean().default(false),
  /** floating only: a seat lapses this long after the device's last heartbeat */
  lease_seconds: z.number().int().min(60).max(30 * 86_400).optional(),
  /** omitted: perpetual */
  days: z.number().int().min(1).max(36_500).optional(),
  entitlements: z.array(z.string().min(1).max(100).regex(/^[\x21-\x7E]+$/)).max(100).default([]),
  heartbeat_seconds: z.number().int().min(0).max(365 * 86_400).default(0),
  offline_grace_seconds: z.number().int().min(0).max(365 * 86_400).default(7 * 86_400),
  churn_limit: z.number().int().min(1).max(10_000).default(10),
}).strict().refine((p) => !p.floating || p.lease_seconds !== undefined, { message: 'a floating policy needs lease_seconds', path: ['lease_seconds'] });
export type PolicyBody = z.infer<typeof policySchema>;

export const licenseSearchSchema = z.object({
  product_id: uuid.optional(),
  user_id: uuid.optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  /** the last group of a key, as a customer reads it out */
  key_hint: z.string().regex(/^[2-9A-Za-z]{5}$/).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
}).strict();

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

export function createLicenses(deps: { repository: LicensesRepository; pepper: string; now: () => number; userExists(tenantId: string, userId: string): Promise<boolean> }) {
  const { repository } = deps;

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
    async createProduct(tenant: Tenant, input: { name: string; policy: PolicyBody }) {
      const created = await repository.createProduct(tenant.id, input.name, toPolicyInput(input.policy));
      return { product_id: created.product.id, policy_id: created.policy.id, product: productView(created.product) };
    },
    async createPolicy(tenant: Tenant, productId: string, policy: PolicyBody) {
      await product(tenant, productId);
      return policyView(await repository.createPolicy(tenant.id, productId, toPolicyInput(policy)));
    },
    listProducts: async (tenant: Tenant) => (await repository.listProducts(tenant.id)).map(productView),
    getProduct: async (tenant: Tenant, id: string) => productView(await product(tenant, id)),

    /** @returns each new key (shown this once) with its license id */
    async issue(tenant: Tenant, input: { productId: string; policyId?: string; userId?: string | null; count: number }) {
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
      return keys.map((key, i) => ({ key, license_id: rows[i]!.id, policy_id: policy.id, expires_at: expiresAt?.toISOString() ?? null }));
    },

    async search(tenant: Tenant, query: z.infer<typeof licenseSearchSchema>): Promise<Page<ReturnType<typeof licenseView>>> {
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
    async revoke(tenant: Tenant, id: string) {
      const found = await license(tenant, id);
      const now = new Date(deps.now());
      const updated = found.revokedAt ? found : await repository.update(found.id, { revokedAt: now });
      const released = await releaseAll(found.id, 'revoked', now);
      return { license: licenseView(updated, now), released };
    },
    async revokeActivation(tenant: Tenant, id: string, activationId: string) {
      const found = await license(tenant, id);
      const activation = uuid.safeParse(activationId).success ? await repository.findActivation(tenant.id, activationId) : null;
      if (!activation || activation.licenseId !== found.id) throw new AppError('license.activation_not_found');
      const now = new Date(deps.now());
      await repository.withLicenseLocked(found.id, (locked) => locked.release(activation.id, 'revoked', now));
      return activationAdminView((await repository.findActivation(tenant.id, activation.id))!);
    },
    /** moves the end `days` further (from now when it has passed), or to `expires_at`; `perpetual` removes it */
    async extend(tenant: Tenant, id: string, input: { days?: number; expires_at?: string; perpetual?: boolean }) {
      const found = await license(tenant, id);
      const now = new Date(deps.now());
      const from = found.expiresAt && found.expiresAt > now ? found.expiresAt : now;
      const expiresAt = input.perpetual ? null : input.expires_at ? new Date(input.expires_at) : new Date(from.getTime() + input.days! * day);
      return licenseView(await repository.update(found.id, { expiresAt }), now);
    },
    /** gives the license to another user (or none); the previous holder's devices lose their seats */
    async transfer(tenant: Tenant, id: string, userId: string | null) {
      const found = await license(tenant, id);
      await assertUser(tenant, userId);
      const now = new Date(deps.now());
      const updated = await repository.update(found.id, { userId });
      const released = await releaseAll(found.id, 'transferred', now);
      return { license: licenseView(updated, now), previous_user_id: found.userId, released };
    },
  };
}

export type Licenses = ReturnType<typeof createLicenses>;
