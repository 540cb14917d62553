// Signing keys of a tenant: the published ones, and rotation (the old key keeps verifying until its tokens expire).
import { z } from 'zod';
import { signingAlgs } from '../../tenants/tenant-settings.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../pagination.js';

export const keyOperations = [
  defineOperation({
    id: 'listKeys', method: 'get', path: '/tenants/{slug}/keys', scope: 'keys:read', tag: 'keys',
    summary: 'Lists the published signing keys (active ones sign, retired ones only verify), oldest first',
    query: pageQuery,
    async handle({ services, tenant, query }) {
      const keys = await services.keys.listPublished(tenant.id);
      return pageOf(keys, (k) => `${k.createdAt.toISOString()}|${k.kid}`, query);
    },
  }),
  defineOperation({
    id: 'rotateKey', method: 'post', path: '/tenants/{slug}/keys/rotate', scope: 'keys:write', tag: 'keys', status: 201,
    summary: 'Makes a new key of the algorithm the signing key; the old one stays published until its tokens expire',
    body: z.object({ alg: z.enum(signingAlgs).default('RS256') }).strict(),
    async handle({ services, tenant, body, audit }) {
      const rotated = await services.tenants.rotateKey(tenant.slug, body.alg);
      await audit({ type: 'admin.key_rotated', subject: `key:${rotated.kid}`, data: { alg: rotated.alg } });
      return rotated;
    },
  }),
];
