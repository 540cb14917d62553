// Rows for APIs, their permissions, roles and role assignments (issue #6). Every query is scoped by tenant.
import type { PrismaClient } from './generated/client.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface PermissionRecord { readonly name: string; readonly description: string }
export interface ApiRecord {
  readonly id: string;
  readonly identifier: string;
  readonly name: string;
  readonly permissions: PermissionRecord[];
  readonly createdAt: Date;
}
/** a permission as a role holds it: which API, which permission */
export interface GrantedPermission { readonly api: string; readonly name: string }
export interface RoleRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: GrantedPermission[];
  readonly createdAt: Date;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const apiSelect = {
  id: true, identifier: true, name: true, createdAt: true,
  permissions: { select: { name: true, description: true }, orderBy: { name: 'asc' } },
} as const;
const roleSelect = {
  id: true, name: true, description: true, createdAt: true,
  permissions: { select: { permission: { select: { name: true, api: { select: { identifier: true } } } } } },
} as const;

type RoleRow = { id: string; name: string; description: string; createdAt: Date; permissions: { permission: { name: string; api: { identifier: string } } }[] };
const toRole = (row: RoleRow): RoleRecord => ({
  id: row.id, name: row.name, description: row.description, createdAt: row.createdAt,
  permissions: row.permissions.map((p) => ({ api: p.permission.api.identifier, name: p.permission.name }))
    .sort((a, b) => a.api.localeCompare(b.api) || a.name.localeCompare(b.name)),
});

export function createRbacRepository(prisma: PrismaClient) {
  /** permission ids for (api identifier, name) pairs of the tenant; refuses any that does not exist */
  async function permissionIds(tenantId: string, wanted: readonly GrantedPermission[]): Promise<string[]> {
    if (!wanted.length) return [];
    const rows = await prisma.permission.findMany({
      where: { api: { tenantId }, OR: wanted.map((p) => ({ name: p.name, api: { identifier: p.api } })) },
      select: { id: true, name: true, api: { select: { identifier: true } } },
    });
    const missing = wanted.filter((p) => !rows.some((r) => r.name === p.name && r.api.identifier === p.api));
    if (missing.length) throw new AppError('permission.not_found', `No such permission: ${missing.map((p) => `${p.name} on ${p.api}`).join(', ')}.`);
    return rows.map((r) => r.id);
  }

  async function roleIds(tenantId: string, names: readonly string[]): Promise<string[]> {
    if (!names.length) return [];
    const rows = await prisma.role.findMany({ where: { tenantId, name: { in: [...names] } }, select: { id: true, name: true } });
    const missing = names.filter((n) => !rows.some((r) => r.name === n));
    if (missing.length) throw new AppError('role.not_found', `No such role: ${missing.join(', ')}.`);
    return rows.map((r) => r.id);
  }

  return {
    async listApis(tenantId: string): Promise<ApiRecord[]> {
      return prisma.api.findMany({ where: { tenantId }, select: apiSelect, orderBy: { createdAt: 'asc' } });
    },
    async findApi(tenantId: string, id: string): Promise<ApiRecord | null> {
      if (!uuid.test(id)) return null;
      return prisma.api.findFirst({ where: { tenantId, id }, select: apiSelect });
    },
    /** each API's identifier and the names of its permissions */
    async apiPermissions(tenantId: string): Promise<Map<string, string[]>> {
      const rows = await prisma.api.findMany({ where: { tenantId }, select: { identifier: true, permissions: { select: { name: true } } } });
      return new Map(rows.map((a) => [a.identifier, a.permissions.map((p) => p.name)]));
    },
    async createApi(tenantId: string, input: { identifier: string; name: string; permissions: PermissionRecord[] }): Promise<ApiRecord> {
      try {
        return await prisma.api.create({
          data: { tenantId, identifier: input.identifier, name: input.name, permissions: { create: input.permissions } },
          select: apiSelect,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('api.identifier_taken');
        throw error;
      }
    },
    async updateApi(tenantId: string, id: string, input: { name?: string; permissions?: PermissionRecord[] }): Promise<ApiRecord | null> {
      const api = uuid.test(id) ? await prisma.api.findFirst({ where: { tenantId, id }, select: { id: true } }) : null;
      if (!api) return null;
      await prisma.$transaction(async (tx) => {
        if (input.name !== undefined) await tx.api.update({ where: { id }, data: { name: input.name } });
        if (input.permissions) {
          const keep = input.permissions.map((p) => p.name);
          // removing a permission removes it from every role that held it (cascade)
          await tx.permission.deleteMany({ where: { apiId: id, name: { notIn: keep } } });
          for (const p of input.permissions) {
            await tx.permission.upsert({ where: { apiId_name: { apiId: id, name: p.name } }, create: { apiId: id, ...p }, update: { description: p.description } });
          }
        }
      });
      return prisma.api.findFirst({ where: { tenantId, id }, select: apiSelect });
    },
    async deleteApi(tenantId: string, id: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return (await prisma.api.deleteMany({ where: { tenantId, id } })).count === 1;
    },

    async listRoles(tenantId: string): Promise<RoleRecord[]> {
      return (await prisma.role.findMany({ where: { tenantId }, select: roleSelect, orderBy: { createdAt: 'asc' } })).map(toRole);
    },
    async findRole(tenantId: string, name: string): Promise<RoleRecord | null> {
      const row = await prisma.role.findFirst({ where: { tenantId, name }, select: roleSelect });
      return row ? toRole(row) : null;
    },
    async createRoles(tenantId: string, roles: { name: string; description: string; permissions?: GrantedPermission[] }[]): Promise<void> {
      for (const role of roles) {
        const ids = await permissionIds(tenantId, role.permissions ?? []);
        try {
          await prisma.role.create({ data: { tenantId, name: role.name, description: role.description, permissions: { create: ids.map((permissionId) => ({ permissionId })) } } });
        } catch (error) {
          if (isUniqueViolation(error)) throw new AppError('role.name_taken');
          throw error;
        }
      }
    },
    async updateRole(tenantId: string, name: string, input: { description?: string; permissions?: GrantedPermission[] }): Promise<RoleRecord | null> {
      const role = await prisma.role.findFirst({ where: { tenantId, name }, select: { id: true } });
      if (!role) return null;
      const ids = input.permissions ? await permissionIds(tenantId, input.permissions) : undefined;
      await prisma.$transaction(async (tx) => {
        if (input.description !== undefined) await tx.role.update({ where: { id: role.id }, data: { description: input.description } });
        if (ids) {
          await tx.rolePermission.deleteMany({ where: { roleId: role.id } });
          await tx.rolePermission.createMany({ data: ids.map((permissionId) => ({ roleId: role.id, permissionId })), skipDuplicates: true });
        }
      });
      return this.findRole(tenantId, name);
    },
    async deleteRole(tenantId: string, name: string): Promise<boolean> {
      return (await prisma.role.deleteMany({ where: { tenantId, name } })).count === 1;
    },

    async rolesOfUser(tenantId: string, userId: string): Promise<string[]> {
      if (!uuid.test(userId)) return [];
      const rows = await prisma.userRole.findMany({ where: { userId, role: { tenantId } }, select: { role: { select: { name: true } } } });
      return rows.map((r) => r.role.name).sort();
    },
    /** whether any user holds the role (the first-run page asks whether an owner exists) */
    async roleHasUsers(tenantId: string, name: string): Promise<boolean> {
      return (await prisma.userRole.count({ where: { role: { tenantId, name } }, take: 1 })) > 0;
    },
    async addUserRoles(tenantId: string, userId: string, names: readonly string[]): Promise<void> {
      const ids = await roleIds(tenantId, names);
      await prisma.userRole.createMany({ data: ids.map((roleId) => ({ userId, roleId })), skipDuplicates: true });
    },
    async removeUserRoles(tenantId: string, userId: string, names: readonly string[]): Promise<number> {
      return (await prisma.userRole.deleteMany({ where: { userId, role: { tenantId, name: { in: [...names] } } } })).count;
    },
    async rolesOfClient(tenantId: string, clientId: string): Promise<string[]> {
      const rows = await prisma.clientRole.findMany({ where: { tenantId, clientId }, select: { role: { select: { name: true } } } });
      return rows.map((r) => r.role.name).sort();
    },
    async addClientRoles(tenantId: string, clientId: string, names: readonly string[]): Promise<void> {
      const ids = await roleIds(tenantId, names);
      await prisma.clientRole.createMany({ data: ids.map((roleId) => ({ tenantId, clientId, roleId })), skipDuplicates: true });
    },
    async removeClientRoles(tenantId: string, clientId: string, names: readonly string[]): Promise<number> {
      return (await prisma.clientRole.deleteMany({ where: { tenantId, clientId, role: { name: { in: [...names] } } } })).count;
    },

    /**
     * the subject's roles, and the permissions those roles give on one API (by audience): one query, on the
     * token endpoint's path for every token issued for an API
     */
    async claimsFor(tenantId: string, subject: { userId: string } | { clientId: string }, audience: string): Promise<{ roles: string[]; permissions: string[] }> {
      if ('userId' in subject && !uuid.test(subject.userId)) return { roles: [], permissions: [] };
      const rows = 'userId' in subject
        ? await prisma.$queryRaw<{ role: string; permission: string | null }[]>`
            SELECT r.name AS role, p.name AS permission
            FROM user_roles a JOIN roles r ON r.id = a.role_id
            LEFT JOIN role_permissions rp ON rp.role_id = r.id
            LEFT JOIN permissions p ON p.id = rp.permission_id AND p.api_id = (SELECT id FROM apis WHERE tenant_id = ${tenantId}::uuid AND identifier = ${audience})
            WHERE a.user_id = ${subject.userId}::uuid AND r.tenant_id = ${tenantId}::uuid`
        : await prisma.$queryRaw<{ role: string; permission: string | null }[]>`
            SELECT r.name AS role, p.name AS permission
            FROM client_roles a JOIN roles r ON r.id = a.role_id
            LEFT JOIN role_permissions rp ON rp.role_id = r.id
            LEFT JOIN permissions p ON p.id = rp.permission_id AND p.api_id = (SELECT id FROM apis WHERE tenant_id = ${tenantId}::uuid AND identifier = ${audience})
            WHERE a.tenant_id = ${tenantId}::uuid AND a.client_id = ${subject.clientId}`;
      const roles = [...new Set(rows.map((r) => r.role))].sort();
      const permissions = [...new Set(rows.flatMap((r) => (r.permission ? [r.permission] : [])))].sort();
      return { roles, permissions };
    },
  };
}

export type RbacRepository = ReturnType<typeof createRbacRepository>;
