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
  defineOperation({
    id: 'promoteEnvironment', method: 'post', path: '/tenants/{slug}/environments/promote', scope: 'tenants:write', tag: 'environments',
    summary: 'The diff of one environment\'s configuration (settings: methods, branding, policies; APIs, roles, clients by name) onto another\'s; with apply: true, applied in one transaction. Never users, secrets, keys or redirect URIs',
    errors: ['environment.not_found', 'request.invalid'],
    body: z.object({ from: z.string().max(30), to: z.string().max(30), apply: z.boolean().default(false) }).strict(),
    async handle({ services, tenant, body, audit }) {
      const result = await services.promotion.promote(tenant.slug, body.from, body.to, body.apply);
      if (result.applied) {
        const target = await services.environments.resolve(tenant.slug, body.to);
        const { diff } = result;
        await audit({
          type: 'admin.environment_promoted', subject: `environment:${body.to}`, tenantId: (await services.tenants.get(target.slug)).id,
          data: { from: body.from, to: body.to, settings: diff.settings.map((s) => s.path), apis: diff.apis.map((a) => a.name), roles: diff.roles.map((r) => r.name), clients: diff.clients.map((c) => c.name) },
        });
      }
      return result;
    },
  }),
];
