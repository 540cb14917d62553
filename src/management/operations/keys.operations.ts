// Signing keys of a tenant: the published ones, and rotation (the old key keeps verifying until its tokens expire).
import { z } from 'zod';
import { signingAlgs } from '../../tenants/tenant-settings.js';
import { maxPrePublishSeconds } from '../../tenants/signing-keys.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';

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
    summary: 'Publishes a new key of the algorithm, which signs after prePublishSeconds (default 3600); the old one signs until then and stays published until its tokens expire. emergency: the new key signs now and the old one leaves the JWKS now',
    body: z.object({
      alg: z.enum(signingAlgs).default('RS256'),
      prePublishSeconds: z.number().int().min(0).max(maxPrePublishSeconds).optional(),
      emergency: z.boolean().default(false),
    }).strict().refine((b) => !(b.emergency && b.prePublishSeconds), 'an emergency rotation does not wait: leave prePublishSeconds out'),
    async handle({ services, tenant, body, audit }) {
      const rotated = await services.tenants.rotateKey(tenant.slug, body.alg, { prePublishSeconds: body.prePublishSeconds, emergency: body.emergency });
      await audit({ type: 'admin.key_rotated', subject: `key:${rotated.kid}`, data: { alg: rotated.alg, signsFrom: rotated.signsFrom, emergency: rotated.emergency, replaced: rotated.replaced.map((k) => k.kid) } });
      return rotated;
    },
  }),
];
