// A tenant's environments (issue #19): `live` is the tenant; others are created by name, each its own issuer.
// Everything else an environment holds is managed through the tenant operations with the environment's slug
// (`/tenants/acme~sandbox/clients`, CLI `--tenant acme --env sandbox`).
import { z } from 'zod';
import { defineOperation } from '../operation.js';

export const environmentOperations = [
  defineOperation({
    id: 'listEnvironments', method: 'get', path: '/tenants/{slug}/environments', scope: 'tenants:read', tag: 'environments',
    summary: 'Lists the tenant\'s environments, live first: each with its name, the slug that addresses it and its issuer',
    errors: ['environment.not_allowed'],
    async handle({ services, tenant }) {
      return { items: await services.environments.list(tenant.slug) };
    },
  }),
  defineOperation({
    id: 'createEnvironment', method: 'post', path: '/tenants/{slug}/environments', scope: 'tenants:write', tag: 'environments', status: 201,
    summary: 'Creates an environment (e.g. sandbox): its own issuer, signing keys, clients, roles and settings (sandbox behaviour on outside production); users stay the tenant\'s',
    errors: ['environment.invalid_name', 'environment.exists', 'environment.not_allowed'],
    body: z.object({ name: z.string().max(30) }).strict(),
    async handle({ services, tenant, body, audit }) {
      const created = await services.environments.create(tenant.slug, body.name);
      await audit({ type: 'admin.environment_created', subject: `environment:${created.environment}`, data: { slug: created.slug, issuer: created.issuer } });
      return { environment: created.environment, issuer: created.issuer };
    },
  }),
];
