// Roles of a tenant: named bundles of API permissions, addressed by name.
import { z } from 'zod';
import { rbacSchemas, roleName, type RoleRecord } from '../../rbac/rbac.service.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';

const nameParam = (params: Readonly<Record<string, string>>) => params.name!;
export const roleView = (r: RoleRecord) => ({ name: r.name, description: r.description, permissions: r.permissions, createdAt: r.createdAt });

export const roleOperations = [
  defineOperation({
    id: 'listRoles', method: 'get', path: '/tenants/{slug}/roles', scope: 'roles:read', tag: 'roles',
    summary: 'Lists the roles of a tenant',
    query: pageQuery,
    async handle({ services, tenant, query }) {
      return pageOf((await services.rbac.listRoles(tenant)).map(roleView), (r) => r.name, query);
    },
  }),
  defineOperation({
    id: 'createRole', method: 'post', path: '/tenants/{slug}/roles', scope: 'roles:write', tag: 'roles', status: 201,
    summary: 'Creates a role from permissions of the tenant\'s APIs',
    errors: ['role.name_taken', 'permission.not_found'],
    body: rbacSchemas.createRole,
    async handle({ services, tenant, body, audit }) {
      const role = await services.rbac.createRole(tenant, body);
      await audit({ type: 'admin.role_created', subject: `role:${role.name}`, data: { permissions: role.permissions } });
      return roleView(role);
    },
  }),
  defineOperation({
    id: 'getRole', method: 'get', path: '/tenants/{slug}/roles/{name}', scope: 'roles:read', tag: 'roles',
    summary: 'A role with its permissions',
    errors: ['role.not_found'],
    handle: async ({ services, tenant, params }) => roleView(await services.rbac.getRole(tenant, nameParam(params))),
  }),
  defineOperation({
    id: 'updateRole', method: 'patch', path: '/tenants/{slug}/roles/{name}', scope: 'roles:write', tag: 'roles',
    summary: 'Changes a role\'s description or replaces its permissions',
    errors: ['role.not_found', 'permission.not_found'],
    body: rbacSchemas.updateRole,
    async handle({ services, tenant, params, body, audit }) {
      const role = await services.rbac.updateRole(tenant, nameParam(params), body);
      await audit({ type: 'admin.role_updated', subject: `role:${role.name}`, data: { changed: Object.keys(body as object).sort() } });
      return roleView(role);
    },
  }),
  defineOperation({
    id: 'deleteRole', method: 'delete', path: '/tenants/{slug}/roles/{name}', scope: 'roles:write', tag: 'roles', status: 204,
    summary: 'Deletes a role; its holders lose it',
    errors: ['role.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.rbac.deleteRole(tenant, nameParam(params));
      await audit({ type: 'admin.role_deleted', subject: `role:${nameParam(params)}` });
      return null;
    },
  }),
];

/** `{roles: [...]}`: what assigning roles to a user or a client takes */
export const roleNamesBody = z.object({ roles: z.array(roleName).min(1).max(100) }).strict();
