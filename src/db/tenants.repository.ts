import type { PrismaClient } from './generated/client.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface TenantRecord {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly settings: unknown;
  readonly version: number;
  /** the tenant whose environment this is (issue #19); null for a tenant (its live environment) */
  readonly parentId: string | null;
  readonly environment: string;
}

const select = { id: true, slug: true, name: true, settings: true, version: true, parentId: true, environment: true } as const;

export function createTenantsRepository(prisma: PrismaClient) {
  return {
    findBySlug(slug: string): Promise<TenantRecord | null> {
      return prisma.tenant.findUnique({ where: { slug }, select });
    },
    async versionOf(slug: string): Promise<number | null> {
      const row = await prisma.tenant.findUnique({ where: { slug }, select: { version: true } });
      return row?.version ?? null;
    },
    /** every tenant and environment */
    list(): Promise<TenantRecord[]> {
      return prisma.tenant.findMany({ select, orderBy: { createdAt: 'asc' } });
    },
    /** the tenants themselves, without their environments */
    listTenants(): Promise<TenantRecord[]> {
      return prisma.tenant.findMany({ where: { parentId: null }, select, orderBy: { createdAt: 'asc' } });
    },
    /** a tenant's environments other than live, oldest first */
    environmentsOf(parentId: string): Promise<TenantRecord[]> {
      return prisma.tenant.findMany({ where: { parentId }, select, orderBy: { createdAt: 'asc' } });
    },
    /** Creates the tenant with its first signing keys in one transaction. @throws AppError('tenant.slug_taken') */
    async create(input: { id: string; slug: string; name: string; settings: object; parentId?: string; environment?: string; keys: { kid: string; alg: string; sealedJwk: string }[] }): Promise<TenantRecord> {
      const { keys, ...tenant } = input;
      try {
        return await prisma.tenant.create({ data: { ...tenant, keys: { create: keys } }, select });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('tenant.slug_taken');
        throw error;
      }
    },
    /** stores new settings and bumps the version so every process rebuilds the tenant's provider */
    async updateSettings(id: string, settings: object): Promise<void> {
      await prisma.tenant.update({ where: { id }, data: { settings, version: { increment: 1 } } });
    },
    async bumpVersion(id: string): Promise<void> {
      await prisma.tenant.update({ where: { id }, data: { version: { increment: 1 } } });
    },
    /** deletes the tenant and, by cascade, everything it holds (users, clients, tokens, keys, audit log) */
    async delete(id: string): Promise<boolean> {
      return (await prisma.tenant.deleteMany({ where: { id } })).count === 1;
    },
  };
}

export type TenantsRepository = ReturnType<typeof createTenantsRepository>;
