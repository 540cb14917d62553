// Reads an environment's promotable configuration and applies a promotion in ONE transaction (issue #19 §5): the
// target's settings, APIs, roles and clients change together or not at all.
import { AppError } from '../errors/app-error.js';
import type { PrismaClient } from '../db/generated/client.js';
import type { ApiConfig, ClientConfig, RoleConfig } from './promotion-diff.js';

type Json = Record<string, unknown>;

export interface PromotionWrite {
  targetId: string;
  settings: Json;
  /** APIs to create or update (by identifier) and the identifiers to delete */
  apis: { upsert: ApiConfig[]; remove: string[] };
  /** roles to create or update (by name; permissions by API identifier) and the names to delete */
  roles: { upsert: RoleConfig[]; remove: string[] };
  /** target clients (by id) with the promoted metadata fields (null: remove) and role names */
  clients: { clientId: string; metadata: Json; roles: string[] }[];
}

export function createPromotionRepository(prisma: PrismaClient) {
  return {
    async read(tenantId: string): Promise<{ apis: ApiConfig[]; roles: RoleConfig[]; clients: ClientConfig[] }> {
      const [apis, roles, clients] = await Promise.all([
        prisma.api.findMany({ where: { tenantId }, select: { identifier: true, name: true, permissions: { select: { name: true, description: true } } }, orderBy: { identifier: 'asc' } }),
        prisma.role.findMany({ where: { tenantId }, select: { name: true, description: true, permissions: { select: { permission: { select: { name: true, api: { select: { identifier: true } } } } } } }, orderBy: { name: 'asc' } }),
        prisma.client.findMany({ where: { tenantId }, select: { clientId: true, name: true, metadata: true, roles: { select: { role: { select: { name: true } } } } }, orderBy: { createdAt: 'asc' } }),
      ]);
      return {
        apis,
        roles: roles.map((role) => ({ name: role.name, description: role.description, permissions: role.permissions.map((p) => ({ api: p.permission.api.identifier, name: p.permission.name })) })),
        clients: clients.map((client) => ({ clientId: client.clientId, name: client.name, metadata: client.metadata as Json, roles: client.roles.map((r) => r.role.name) })),
      };
    },

    /** applies everything or nothing; the tenant's version is bumped so every process rebuilds its provider */
    async apply(write: PromotionWrite): Promise<void> {
      const tenantId = write.targetId;
      await prisma.$transaction(async (tx) => {
        await tx.tenant.update({ where: { id: tenantId }, data: { settings: write.settings as object, version: { increment: 1 } } });
        for (const api of write.apis.upsert) {
          const row = await tx.api.upsert({ where: { tenantId_identifier: { tenantId, identifier: api.identifier } }, create: { tenantId, identifier: api.identifier, name: api.name }, update: { name: api.name }, select: { id: true } });
          await tx.permission.deleteMany({ where: { apiId: row.id, name: { notIn: api.permissions.map((p) => p.name) } } });
          for (const permission of api.permissions) {
            await tx.permission.upsert({ where: { apiId_name: { apiId: row.id, name: permission.name } }, create: { apiId: row.id, ...permission }, update: { description: permission.description } });
          }
        }
        for (const role of write.roles.upsert) {
          const row = await tx.role.upsert({ where: { tenantId_name: { tenantId, name: role.name } }, create: { tenantId, name: role.name, description: role.description }, update: { description: role.description }, select: { id: true } });
          await tx.rolePermission.deleteMany({ where: { roleId: row.id } });
          for (const wanted of role.permissions) {
            const permission = await tx.permission.findFirst({ where: { name: wanted.name, api: { tenantId, identifier: wanted.api } }, select: { id: true } });
            // a permission of an API the target lacks: the promotion is refused as a whole
            if (!permission) throw new AppError('request.invalid', `Role ${role.name}: the target has no permission ${wanted.name} of ${wanted.api}; nothing was changed.`);
            await tx.rolePermission.create({ data: { roleId: row.id, permissionId: permission.id } });
          }
        }
        if (write.roles.remove.length) await tx.role.deleteMany({ where: { tenantId, name: { in: write.roles.remove } } });
        if (write.apis.remove.length) await tx.api.deleteMany({ where: { tenantId, identifier: { in: write.apis.remove } } });
        for (const client of write.clients) {
          const row = await tx.client.findUnique({ where: { tenantId_clientId: { tenantId, clientId: client.clientId } }, select: { metadata: true } });
          if (!row) continue;
          const metadata: Json = { ...(row.metadata as Json) };
          for (const [field, value] of Object.entries(client.metadata)) {
            if (value === null) delete metadata[field];
            else metadata[field] = value;
          }
          await tx.client.update({ where: { tenantId_clientId: { tenantId, clientId: client.clientId } }, data: { metadata: metadata as object } });
          await tx.clientRole.deleteMany({ where: { tenantId, clientId: client.clientId } });
          const roles = await tx.role.findMany({ where: { tenantId, name: { in: client.roles } }, select: { id: true } });
          if (roles.length) await tx.clientRole.createMany({ data: roles.map((role) => ({ tenantId, clientId: client.clientId, roleId: role.id })) });
        }
      });
    },
  };
}

export type PromotionRepository = ReturnType<typeof createPromotionRepository>;
