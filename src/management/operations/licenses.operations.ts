// Software licenses of a tenant (issue #20): products with their policies, keys issued one at a time or in bulk
// (each key is in this answer only), search, a license with its activations, revoking a key or one activation,
// extending and transferring. Every write is in the tenant's audit chain (written by the licensing service).
import { extendSchema, issueSchema, licenseSearchSchema, policySchema, productSchema, transferSchema } from '../../licenses/license-inputs.js';
import type { LicenseActor } from '../../licenses/licenses.service.js';
import { defineOperation, type OperationInput } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';

const id = (params: Readonly<Record<string, string>>) => params.id!;
/** the caller as the licensing service writes it into the audit log */
const by = ({ principal, request }: Pick<OperationInput<unknown, unknown>, 'principal' | 'request'>): LicenseActor => ({ actor: principal.actor, ip: request.ip ?? null, userAgent: request.userAgent ?? null });

export const licenseOperations = [
  defineOperation({
    id: 'createLicenseProduct', method: 'post', path: '/tenants/{slug}/license-products', scope: 'licenses:write', tag: 'licenses', status: 201,
    summary: 'Creates a product with its first policy: seats or a floating lease, validity days (none: perpetual), entitlements, heartbeat, offline grace, churn limit',
    body: productSchema,
    handle: (input) => input.services.licenses.admin.createProduct(input.tenant, input.body, by(input)),
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
    handle: (input) => input.services.licenses.admin.createPolicy(input.tenant, id(input.params), input.body, by(input)),
  }),
  defineOperation({
    id: 'issueLicenses', method: 'post', path: '/tenants/{slug}/licenses', scope: 'licenses:write', tag: 'licenses', status: 201,
    summary: 'Issues license keys (1 to 1,000) for a user or unassigned; each key is in this answer only, stored as its keyed hash',
    errors: ['license.product_not_found', 'license.policy_not_found', 'user.not_found'],
    body: issueSchema,
    async handle(input) {
      const { body } = input;
      return { licenses: await input.services.licenses.admin.issue(input.tenant, { productId: body.product_id, policyId: body.policy_id, userId: body.user_id ?? null, count: body.count }, by(input)) };
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
    handle: (input) => input.services.licenses.admin.revoke(input.tenant, id(input.params), by(input)),
  }),
  defineOperation({
    id: 'revokeLicenseActivation', method: 'post', path: '/tenants/{slug}/licenses/{id}/activations/{activation}/revoke', scope: 'licenses:write', tag: 'licenses',
    summary: 'Releases one device\'s seat', errors: ['license.license_not_found', 'license.activation_not_found'],
    handle: (input) => input.services.licenses.admin.revokeActivation(input.tenant, id(input.params), input.params.activation!, by(input)),
  }),
  defineOperation({
    id: 'extendLicense', method: 'post', path: '/tenants/{slug}/licenses/{id}/extend', scope: 'licenses:write', tag: 'licenses',
    summary: 'Moves a license\'s end: `days` further (from now once past), to `expires_at`, or `perpetual`', errors: ['license.license_not_found'],
    body: extendSchema,
    handle: (input) => input.services.licenses.admin.extend(input.tenant, id(input.params), input.body, by(input)),
  }),
  defineOperation({
    id: 'transferLicense', method: 'post', path: '/tenants/{slug}/licenses/{id}/transfer', scope: 'licenses:write', tag: 'licenses',
    summary: 'Gives a license to another user (null: unassigned); the devices activated so far lose their seats',
    errors: ['license.license_not_found', 'user.not_found'],
    body: transferSchema,
    handle: (input) => input.services.licenses.admin.transfer(input.tenant, id(input.params), input.body.user_id, by(input)),
  }),
];
