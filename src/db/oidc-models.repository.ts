// Rows for oidc-provider's durable models. The adapter in src/oidc decides what goes in (hashed ids, no secrets).
import type { PrismaClient } from './generated/client.js';

export interface StoredModel {
  readonly payload: Record<string, unknown>;
  readonly consumedAt: Date | null;
}

export interface ModelKey { tenantId: string; model: string; id: string }

const select = { payload: true, consumedAt: true } as const;
const live = () => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] });

export function createOidcModelsRepository(prisma: PrismaClient) {
  return {
    async upsert(key: ModelKey, row: { payload: object; expiresAt: Date | null; grantId?: string; accountId?: string; uid?: string }): Promise<void> {
      const data = { payload: row.payload, expiresAt: row.expiresAt, grantId: row.grantId ?? null, accountId: row.accountId ?? null, uid: row.uid ?? null };
      await prisma.oidcModel.upsert({
        where: { tenantId_model_id: key },
        create: { ...key, ...data },
        update: data,
      });
    },
    async find(key: ModelKey): Promise<StoredModel | null> {
      return (await prisma.oidcModel.findFirst({ where: { ...key, ...live() }, select })) as StoredModel | null;
    },
    async findByUid(tenantId: string, model: string, uid: string): Promise<StoredModel | null> {
      return (await prisma.oidcModel.findFirst({ where: { tenantId, model, uid, ...live() }, select })) as StoredModel | null;
    },
    /** Compare-and-set: true only for the one caller that marked the row consumed. */
    async consume(key: ModelKey): Promise<boolean> {
      const { count } = await prisma.oidcModel.updateMany({ where: { ...key, consumedAt: null }, data: { consumedAt: new Date() } });
      return count === 1;
    },
    /** Compare-and-set on a consumption: true only for the one caller that replaced exactly `consumedAt` (an orphaned rotation taken over). */
    async retake(key: ModelKey, consumedAt: Date): Promise<boolean> {
      const { count } = await prisma.oidcModel.updateMany({ where: { ...key, consumedAt }, data: { consumedAt: new Date() } });
      return count === 1;
    },
    /** undoes consume(): for a rotation whose response failed before it reached the client */
    async unconsume(key: ModelKey): Promise<boolean> {
      const { count } = await prisma.oidcModel.updateMany({ where: { ...key, consumedAt: { not: null } }, data: { consumedAt: null } });
      return count === 1;
    },
    async destroy(key: ModelKey): Promise<void> {
      await prisma.oidcModel.deleteMany({ where: key });
    },
    async revokeByGrantId(tenantId: string, model: string, grantId: string): Promise<void> {
      await prisma.oidcModel.deleteMany({ where: { tenantId, model, grantId } });
    },
    /** grant ids of a user's durable rows (sessions, grants, refresh tokens) */
    async grantIdsOfAccount(tenantId: string, accountId: string): Promise<string[]> {
      const rows = await prisma.oidcModel.findMany({ where: { tenantId, accountId, grantId: { not: null } }, select: { grantId: true }, distinct: ['grantId'] });
      return rows.map((row) => row.grantId!);
    },
    /** deletes every durable row of a user: sessions, grants, refresh tokens */
    async deleteAccountRows(tenantId: string, accountId: string): Promise<number> {
      const { count } = await prisma.oidcModel.deleteMany({ where: { tenantId, accountId } });
      return count;
    },
    /** Deletes rows past their expiry so the table stays small; returns how many went. */
    async deleteExpired(now = new Date()): Promise<number> {
      const { count } = await prisma.oidcModel.deleteMany({ where: { expiresAt: { lte: now } } });
      return count;
    },
  };
}

export type OidcModelsRepository = ReturnType<typeof createOidcModelsRepository>;
