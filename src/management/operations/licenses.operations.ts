// Software licenses of a tenant (issue #20): products with their policies, keys issued one at a time or in bulk
// (each key is in this answer only), search, a license with its activations, revoking a key or one activation,
// extending and transferring. Every write is in the tenant's audit chain.
import { z } from 'zod';
import { licenseSearchSchema, policySchema } from '../../licenses/licenses.service.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';

const id = (params: Readonly<Record<string, string>>) => params.id!;
const productBody = z.object({ name: z.string().min(1).max(100), policy: policySchema }).strict();
const issueBody = z.object({
  product_id: z.string().max(64),
  /** default: the product's first policy */
  policy_id: z.string().max(64).optional(),
  user_id: z.string().max(64).nullable().optional(),
  count: z.number().int().min(1).max(1000).default(1),
}).strict();
const extendBody = z.object({
  days: z.number().int().min(1).max(36_500).optional(),
  expires_at: z.string().datetime({ offset: true }).optional(),
  perpetual: z.literal(true).optional(),
}).strict().refine((b) => [b.days, b.expires_at, b.perpetual].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of days, expires_at or perpetual' });
const transferBody = z.object({ user_id: z.string().max(64).nullable() }).strict();

export const licenseOperations = [
  defineOperation({
    id: 'createLicenseProduct', method: 'post', path: '/tenants/{slug}/license-products', scope: 'licenses:write', tag: 'licenses', status: 201,
    summary: 'Creates a product with its first policy: seats or a floating lease, validity days (none: perpetual), entitlements, heartbeat, offline grace, churn limit',
    body: productBody,
    async handle({ services, tenant, body, audit }) {
      const created = await services.licenses.admin.createProduct(tenant, body);
      await audit({ type: 'admin.license_product_created', subject: `license-product:${created.product_id}`, data: { name: body.name, policy_id: created.policy_id } });
      await audit({ type: 'admin.license_policy_created', subject: `license-product:${created.product_id}`, data: { policy_id: created.policy_id, max_devices: body.policy.max_devices, floating: body.policy.floating, days: body.policy.days ?? null } });
      return created;
    },
  }),
  defineOperation({
    id: 'listLicenseProducts', method: 'get', path: '/tenants/{slug}/license-products', scope: 'licenses:read', tag: 'licenses',
    summary: 'Lists the license products of a tenant with their policies',
    query: pageQuery,
    handle: async ({ services, tenant, query }) => pageOf(await services.licenses.admin.listProducts(tenant), (p) => p.id, query),
  }),
  defineOperation({
    id: 'getLicenseProduct', method: 'get', path: '/tenants/{slug}/license-products/{id}', scope: 'licenses:read', tag: 'licenses',
    summary: 'A license product with its policies', errors: ['license.product_not_found'],
    handle: ({ services, tenant, params }) => services.licenses.admin.getProduct(tenant, id(params)),
  }),
  defineOperation({
    id: 'createLicensePolicy', method: 'post', path: '/tenants/{slug}/license-products/{id}/policies', scope: 'licenses:write', tag: 'licenses', status: 201,
    summary: 'Adds a policy to a product', errors: ['license.product_not_found'],
    body: policySchema,
    async handle({ services, tenant, params, body, audit }) {
      const policy = await services.licenses.admin.createPolicy(tenant, id(params), body);
      await audit({ type: 'admin.license_policy_created', subject: `license-product:${policy.product_id}`, data: { policy_id: policy.id, max_devices: policy.max_devices, floating: policy.floating, days: policy.days } });
      return policy;
    },
  }),
  defineOperation({
    id: 'issueLicenses', method: 'post', path: '/tenants/{slug}/licenses', scope: 'licenses:write', tag: 'licenses', status: 201,
    summary: 'Issues license keys (1 to 1,000) for a user or unassigned; each key is in this answer only, stored as its keyed hash',
    errors: ['license.product_not_found', 'license.policy_not_found', 'user.not_found'],
    body: issueBody,
    async handle({ services, tenant, body, audit }) {
      const issued = await services.licenses.admin.issue(tenant, { productId: body.product_id, policyId: body.policy_id, userId: body.user_id ?? null, count: body.count });
      // one entry per key; written together (the audit log batches them into few chained writes)
      await Promise.all(issued.map((l) => audit({ type: 'admin.license_issued', subject: `license:${l.license_id}`, data: { product_id: body.product_id, policy_id: l.policy_id, user_id: body.user_id ?? null, expires_at: l.expires_at } })));
      return { licenses: issued };
    },
  }),
  defineOperation({
    id: 'searchLicenses', method: 'get', path: '/tenants/{slug}/licenses', scope: 'licenses:read', tag: 'licenses',
    summary: 'Finds licenses by product, user, status or key hint (the key\'s last group), newest first',
    query: licenseSearchSchema,
    handle: ({ services, tenant, query }) => services.licenses.admin.search(tenant, query),
  }),
  defineOperation({
    id: 'getLicense', method: 'get', path: '/tenants/{slug}/licenses/{id}', scope: 'licenses:read', tag: 'licenses',
    summary: 'A license with its policy and activations (device, last heartbeat, release)', errors: ['license.license_not_found'],
    handle: ({ services, tenant, params }) => services.licenses.admin.get(tenant, id(params)),
  }),
  defineOperation({
    id: 'revokeLicense', method: 'post', path: '/tenants/{slug}/licenses/{id}/revoke', scope: 'licenses:write', tag: 'licenses',
    summary: 'Revokes a key: online checks fail at once and every seat is released; offline tokens stop at their expiry',
    errors: ['license.license_not_found'],
    async handle({ services, tenant, params, audit }) {
      const revoked = await services.licenses.admin.revoke(tenant, id(params));
      await audit({ type: 'admin.license_revoked', subject: `license:${revoked.license.id}`, data: { released: revoked.released } });
      return revoked;
    },
  }),
  defineOperation({
    id: 'revokeLicenseActivation', method: 'post', path: '/tenants/{slug}/licenses/{id}/activations/{activation}/revoke', scope: 'licenses:write', tag: 'licenses',
    summary: 'Releases one device\'s seat', errors: ['license.license_not_found', 'license.activation_not_found'],
    async handle({ services, tenant, params, audit }) {
      const activation = await services.licenses.admin.revokeActivation(tenant, id(params), params.activation!);
      await audit({ type: 'admin.license_activation_revoked', subject: `license:${id(params)}`, data: { activation_id: activation.id } });
      return activation;
    },
  }),
  defineOperation({
    id: 'extendLicense', method: 'post', path: '/tenants/{slug}/licenses/{id}/extend', scope: 'licenses:write', tag: 'licenses',
    summary: 'Moves a license\'s end: `days` further (from now once past), to `expires_at`, or `perpetual`', errors: ['license.license_not_found'],
    body: extendBody,
    async handle({ services, tenant, params, body, audit }) {
      const license = await services.licenses.admin.extend(tenant, id(params), body);
      await audit({ type: 'admin.license_extended', subject: `license:${license.id}`, data: { expires_at: license.expires_at } });
      return license;
    },
  }),
  defineOperation({
    id: 'transferLicense', method: 'post', path: '/tenants/{slug}/licenses/{id}/transfer', scope: 'licenses:write', tag: 'licenses',
    summary: 'Gives a license to another user (null: unassigned); the devices activated so far lose their seats',
    errors: ['license.license_not_found', 'user.not_found'],
    body: transferBody,
    async handle({ services, tenant, params, body, audit }) {
      const moved = await services.licenses.admin.transfer(tenant, id(params), body.user_id);
      await audit({ type: 'admin.license_transferred', subject: `license:${moved.license.id}`, data: { from_user_id: moved.previous_user_id, to_user_id: body.user_id, released: moved.released } });
      return moved;
    },
  }),
];
