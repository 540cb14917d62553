// Tenants: the realms of the installation. Creating and deleting one is recorded in the system tenant's log
// (a deleted tenant's own log goes with it).
import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';
import { signingAlgs } from '../../tenants/tenant-settings.js';
import type { TenantSummary } from '../../tenants/tenants.service.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';
import { mayCreateTenants, visibleTenants } from '../operator-access.js';

const summary = (t: TenantSummary) => ({ slug: t.slug, name: t.name, issuer: t.issuer });
const alg = z.enum(signingAlgs);

export const tenantOperations = [
  defineOperation({
    id: 'listTenants', method: 'get', path: '/tenants', scope: 'tenants:read', tag: 'tenants',
    summary: 'Lists the tenants this operator may manage',
    query: pageQuery,
    async handle({ services, principal, query }) {
      const visible = visibleTenants(principal.tenants, await services.tenants.list());
      return pageOf(visible.map(summary), (t) => t.slug, query);
    },
  }),
  defineOperation({
    id: 'createTenant', method: 'post', path: '/tenants', scope: 'tenants:write', tag: 'tenants', status: 201,
    summary: 'Creates a tenant with its signing keys, default roles and default API',
    errors: ['tenant.invalid_slug', 'tenant.reserved_slug', 'tenant.slug_taken', 'tenant.forbidden'],
    body: z.object({
      slug: z.string().max(40),
      name: z.string().max(100).optional(),
      idTokenSigningAlg: alg.optional(),
      accessTokenSigningAlg: alg.optional(),
    }).strict(),
    async handle({ services, principal, body, audit }) {
      if (!mayCreateTenants(principal.tenants)) throw new AppError('tenant.forbidden', 'An operator limited to some tenants cannot create tenants.');
      const tenant = await services.tenants.create(body);
      await audit({ type: 'admin.tenant_created', subject: `tenant:${tenant.slug}`, data: { slug: tenant.slug, name: tenant.name } });
      return { ...summary(tenant), settings: (await services.tenants.settings(tenant.slug)).effective };
    },
  }),
  defineOperation({
    id: 'getTenant', method: 'get', path: '/tenants/{slug}', scope: 'tenants:read', tag: 'tenants',
    summary: 'A tenant with its effective settings (credentials shown as "(set)")',
    async handle({ services, tenant }) {
      return { ...summary(tenant), settings: (await services.tenants.settings(tenant.slug)).effective };
    },
  }),
  defineOperation({
    id: 'getTenantSettings', method: 'get', path: '/tenants/{slug}/settings', scope: 'tenants:read', tag: 'tenants',
    summary: 'The settings as stored and as they resolve (credentials shown as "(set)")',
    handle: ({ services, tenant }) => services.tenants.settings(tenant.slug),
  }),
  defineOperation({
    id: 'updateTenantSettings', method: 'patch', path: '/tenants/{slug}/settings', scope: 'tenants:write', tag: 'tenants',
    summary: 'Changes settings by a JSON merge patch (RFC 7396): sign-in methods, password and MFA policy, token lifetimes, branding …',
    errors: ['tenant.invalid_settings', 'tenant.credential_required'],
    body: z.record(z.string(), z.unknown()),
    async handle({ services, tenant, body, audit, principal, request }) {
      await services.tenants.updateSettings(tenant.slug, body, { actor: principal.actor, ip: request.ip ?? null, userAgent: request.userAgent ?? null });
      // the keys only: a patch may carry credentials (SMTP, SMS, upstream secrets)
      await audit({ type: 'admin.tenant_settings_updated', subject: `tenant:${tenant.slug}`, data: { changed: Object.keys(body).sort() } });
      return services.tenants.settings(tenant.slug);
    },
  }),
  defineOperation({
    id: 'deleteTenant', method: 'delete', path: '/tenants/{slug}', scope: 'tenants:write', tag: 'tenants', status: 204,
    summary: 'Deletes a tenant and everything it holds (not the system tenant)',
    errors: ['tenant.reserved_slug'],
    async handle({ services, tenant, audit }) {
      await services.tenants.remove(tenant.slug);
      const system = await services.tenants.get('system');
      await audit({ tenantId: system.id, type: 'admin.tenant_deleted', subject: `tenant:${tenant.slug}`, data: { slug: tenant.slug, id: tenant.id } });
      return null;
    },
  }),
];
