// Roles and permissions of a tenant (issue #6): APIs (resource servers by audience URI) define permissions,
// roles bundle them, users and machine clients hold roles. Tokens read assignments when they are issued
// (no cache), so a change shows in the next token; tokens already issued keep theirs until they expire.
import { z } from 'zod';
import type { RbacRepository, GrantedPermission, PermissionRecord, ApiRecord, RoleRecord } from '../db/rbac.repository.js';
import { AppError } from '../errors/app-error.js';
import { assertCleanInput } from '../validation/input-rules.js';
import type { MachineClaimsCache } from './machine-claims-cache.js';
import { validate } from '../validation/validate.js';

export interface TenantRef { readonly id: string; readonly slug: string }

/** what a new tenant starts with */
export const defaultRoles = [
  { name: 'admin', description: 'Full access' },
  { name: 'editor', description: 'Reads and changes content' },
  { name: 'viewer', description: 'Reads only' },
] as const;

// RFC 6749 §3.3 scope-token: a permission can be requested as a scope
const permissionName = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'a permission is 1–100 visible ASCII characters without spaces, quotes or backslashes');
const description = z.string().max(200).default('');
const permissionsSchema = z.array(z.object({ name: permissionName, description }).strict()).max(500)
  .refine((list) => new Set(list.map((p) => p.name)).size === list.length, 'permission names must be unique');
export const roleName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'a role name is 1–64 letters, digits or _.:- starting with a letter or digit');
const granted = z.array(z.object({ api: z.string().max(300), name: permissionName }).strict()).max(1000);
// RFC 8707 §2: an absolute URI without a fragment
const identifier = z.url({ error: 'an API identifier is an absolute URI' }).max(300).refine((u) => !u.includes('#'), 'an API identifier has no fragment');

const schemas = {
  createApi: z.object({ identifier, name: z.string().trim().min(1).max(100), permissions: permissionsSchema.default([]) }).strict(),
  updateApi: z.object({ name: z.string().trim().min(1).max(100).optional(), permissions: permissionsSchema.optional() }).strict(),
  createRole: z.object({ name: roleName, description, permissions: granted.default([]) }).strict(),
  updateRole: z.object({ description: z.string().max(200).optional(), permissions: granted.optional() }).strict(),
  roleNames: z.array(roleName).min(1).max(100),
};


export function createRbac(deps: { repository: RbacRepository; announceChange(slug: string): Promise<void>; machineClaims?: MachineClaimsCache }) {
  const { repository } = deps;
  /** after any change that can alter a machine client's claims */
  const changed = async (tenant: TenantRef) => { await deps.machineClaims?.changed(tenant.id); };

  async function role(tenant: TenantRef, name: string): Promise<RoleRecord> {
    const found = await repository.findRole(tenant.id, name);
    if (!found) throw new AppError('role.not_found', `No role "${name}" in this tenant.`);
    return found;
  }

  return {
    /** a new tenant's roles and its default API */
    async seedDefaults(tenantId: string, defaultApi: string | null): Promise<void> {
      await repository.createRoles(tenantId, defaultRoles.map((r) => ({ ...r })));
      if (defaultApi) await repository.createApi(tenantId, { identifier: defaultApi, name: 'Default API', permissions: [] });
    },
    listApis: (tenant: TenantRef) => repository.listApis(tenant.id),
    apiPermissions: (tenantId: string) => repository.apiPermissions(tenantId),
    async getApi(tenant: TenantRef, id: string): Promise<ApiRecord> {
      const api = await repository.findApi(tenant.id, id);
      if (!api) throw new AppError('api.not_found');
      return api;
    },
    async createApi(tenant: TenantRef, input: unknown): Promise<ApiRecord> {
      const data = validate(schemas.createApi, input);
      const api = await repository.createApi(tenant.id, data as { identifier: string; name: string; permissions: PermissionRecord[] });
      await deps.announceChange(tenant.slug);
      await changed(tenant);
      return api;
    },
    async updateApi(tenant: TenantRef, id: string, input: unknown): Promise<ApiRecord> {
      const data = validate(schemas.updateApi, input);
      const api = await repository.updateApi(tenant.id, id, data as { name?: string; permissions?: PermissionRecord[] });
      if (!api) throw new AppError('api.not_found');
      // an API's permissions are the scopes a client may be granted for it (resource-servers.ts)
      if (data.permissions) await deps.announceChange(tenant.slug);
      await changed(tenant);
      return api;
    },
    async deleteApi(tenant: TenantRef, id: string): Promise<void> {
      if (!(await repository.deleteApi(tenant.id, id))) throw new AppError('api.not_found');
      await deps.announceChange(tenant.slug);
      await changed(tenant);
    },

    listRoles: (tenant: TenantRef) => repository.listRoles(tenant.id),
    getRole: role,
    async createRole(tenant: TenantRef, input: unknown): Promise<RoleRecord> {
      const data = validate(schemas.createRole, input);
      await repository.createRoles(tenant.id, [data as { name: string; description: string; permissions: GrantedPermission[] }]);
      return role(tenant, data.name);
    },
    async updateRole(tenant: TenantRef, name: string, input: unknown): Promise<RoleRecord> {
      const data = validate(schemas.updateRole, input);
      const updated = await repository.updateRole(tenant.id, name, data as { description?: string; permissions?: GrantedPermission[] });
      if (!updated) throw new AppError('role.not_found', `No role "${name}" in this tenant.`);
      await changed(tenant);
      return updated;
    },
    async deleteRole(tenant: TenantRef, name: string): Promise<void> {
      if (!(await repository.deleteRole(tenant.id, name))) throw new AppError('role.not_found', `No role "${name}" in this tenant.`);
      await changed(tenant);
    },

    rolesOfUser: (tenant: TenantRef, userId: string) => repository.rolesOfUser(tenant.id, userId),
    roleHasUsers: (tenant: TenantRef, name: string) => repository.roleHasUsers(tenant.id, name),
    /** the caller has checked that the user belongs to the tenant */
    async assignUserRoles(tenant: TenantRef, userId: string, names: unknown): Promise<string[]> {
      await repository.addUserRoles(tenant.id, userId, validate(schemas.roleNames, names));
      return repository.rolesOfUser(tenant.id, userId);
    },
    async unassignUserRoles(tenant: TenantRef, userId: string, names: unknown): Promise<string[]> {
      await repository.removeUserRoles(tenant.id, userId, validate(schemas.roleNames, names));
      return repository.rolesOfUser(tenant.id, userId);
    },
    rolesOfClient: (tenant: TenantRef, clientId: string) => repository.rolesOfClient(tenant.id, clientId),
    /** the caller has checked that the client belongs to the tenant */
    async assignClientRoles(tenant: TenantRef, clientId: string, names: unknown): Promise<string[]> {
      await repository.addClientRoles(tenant.id, clientId, validate(schemas.roleNames, names));
      await changed(tenant);
      return repository.rolesOfClient(tenant.id, clientId);
    },
    async unassignClientRoles(tenant: TenantRef, clientId: string, names: unknown): Promise<string[]> {
      await repository.removeClientRoles(tenant.id, clientId, validate(schemas.roleNames, names));
      await changed(tenant);
      return repository.rolesOfClient(tenant.id, clientId);
    },
    /** a user's claims are read each time; a machine client's come from the cache (machine-claims-cache.ts) */
    claimsFor(tenantId: string, subject: { userId: string } | { clientId: string }, audience: string) {
      if (!('clientId' in subject) || !deps.machineClaims) return repository.claimsFor(tenantId, subject, audience);
      return deps.machineClaims.get(tenantId, subject.clientId, audience, () => repository.claimsFor(tenantId, subject, audience));
    },
  };
}

export type Rbac = ReturnType<typeof createRbac>;
/** the input schemas, for the Management API's OpenAPI document */
export { schemas as rbacSchemas };
export type { ApiRecord, RoleRecord, GrantedPermission };
