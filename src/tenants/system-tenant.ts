// The reserved `system` tenant holds the installation's operators (issue #6). Its users sign in to the admin
// console; its machine clients get Management API tokens (client_credentials, audience `{PUBLIC_URL}/api`).
// The Management API is an API of this tenant whose permissions are the management scopes, and the operator
// roles bundle them: owner (everything), admin (everything but the system tenant itself), viewer (reads).
import type { TenantsService } from './tenants.service.js';
import type { Rbac } from '../rbac/rbac.service.js';
import { AppError } from '../errors/app-error.js';
import { systemSlug } from './issuer.js';


/** the scopes of the Management API; a `:write` scope does not imply its `:read` */
export const managementScopes = [
  'tenants:read', 'tenants:write', 'users:read', 'users:write', 'clients:read', 'clients:write',
  'roles:read', 'roles:write', 'sessions:read', 'sessions:write', 'keys:read', 'keys:write', 'audit:read',
  'licenses:read', 'licenses:write',
  // the system tenant's own users, clients and roles: who operates the installation
  'operators:write',
] as const;
export type ManagementScope = (typeof managementScopes)[number];

export const managementAudience = (publicUrl: URL) => `${publicUrl.origin}/api`;

const operatorRoles = [
  { name: 'owner', description: 'Operates the installation, its operators included', permissions: managementScopes },
  { name: 'admin', description: 'Manages every tenant but the system tenant', permissions: managementScopes.filter((s) => s !== 'operators:write') },
  { name: 'viewer', description: 'Reads everything, changes nothing', permissions: managementScopes.filter((s) => s.endsWith(':read')) },
];

async function tolerateRace<T>(work: () => Promise<T>, code: string): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.code === code) return undefined; // another process did it first
    throw error;
  }
}

/**
 * creates the system tenant, its Management API and operator roles when missing; brings them up to date otherwise.
 * Processes starting together against a new database all do this at once: each step is idempotent and re-reads
 * what is there, so a step that loses a race to another process is simply run again.
 */
export async function ensureSystemTenant(deps: { tenants: TenantsService; rbac: Rbac; publicUrl: URL }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureOnce(deps);
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

async function ensureOnce(deps: { tenants: TenantsService; rbac: Rbac; publicUrl: URL }): Promise<void> {
  const audience = managementAudience(deps.publicUrl);
  let tenant = await deps.tenants.find(systemSlug);
  if (!tenant) {
    await tolerateRace(() => deps.tenants.create({ slug: systemSlug, name: 'Tessera operators', allowReserved: true, defaultResource: audience }), 'tenant.slug_taken');
    tenant = await deps.tenants.get(systemSlug);
  }
  const ref = { id: tenant.id, slug: tenant.slug };
  const apis = await deps.rbac.listApis(ref);
  const api = apis.find((a) => a.identifier === audience);
  const permissions = managementScopes.map((name) => ({ name, description: '' }));
  // scopes this version adds to an existing installation (licenses:*, …): the built-in roles get them as defined
  const added = api ? managementScopes.filter((scope) => !api.permissions.some((p) => p.name === scope)) : [];
  if (!api) {
    await tolerateRace(() => deps.rbac.createApi(ref, { identifier: audience, name: 'Tessera Management API', permissions }), 'api.identifier_taken');
  } else if (managementScopes.some((scope) => !api.permissions.some((p) => p.name === scope))) {
    await deps.rbac.updateApi(ref, api.id, { permissions: [...api.permissions, ...permissions.filter((p) => !api.permissions.some((q) => q.name === p.name))] });
  }
  const roles = await deps.rbac.listRoles(ref);
  for (const role of operatorRoles) {
    const wanted = role.permissions.map((name) => ({ api: audience, name }));
    const existing = roles.find((r) => r.name === role.name);
    if (!existing) await tolerateRace(() => deps.rbac.createRole(ref, { name: role.name, description: role.description, permissions: wanted }), 'role.name_taken');
    else if (existing.permissions.length === 0) await deps.rbac.updateRole(ref, role.name, { permissions: wanted });
    else {
      const granted = wanted.filter((p) => added.includes(p.name) && !existing.permissions.some((q) => q.api === p.api && q.name === p.name));
      if (granted.length) await deps.rbac.updateRole(ref, role.name, { permissions: [...existing.permissions.map((p) => ({ api: p.api, name: p.name })), ...granted] });
    }
  }
  if (roles.some((r) => r.name === 'editor' && r.permissions.length === 0)) await tolerateRace(() => deps.rbac.deleteRole(ref, 'editor'), 'role.not_found');
}
