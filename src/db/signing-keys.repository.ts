import type { PrismaClient } from './generated/client.js';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly sealedJwk: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
  readonly unpublishAt: Date | null;
}

const select = { kid: true, alg: true, sealedJwk: true, createdAt: true, retiredAt: true, unpublishAt: true } as const;

export function createSigningKeysRepository(prisma: PrismaClient) {
  return {
    /** keys still in the JWKS: active ones and retired ones whose tokens may not have expired yet, newest first */
    listPublished(tenantId: string, now = new Date()): Promise<SigningKeyRecord[]> {
      return prisma.signingKey.findMany({
        where: { tenantId, OR: [{ unpublishAt: null }, { unpublishAt: { gt: now } }] },
        select,
        orderBy: { createdAt: 'desc' },
      });
    },
    /** Adds a key as the active one for its alg and retires the previous active key(s) of that alg, atomically. */
    async activate(tenantId: string, key: { kid: string; alg: string; sealedJwk: string }, unpublishRetiredAt: Date): Promise<void> {
      const now = new Date();
      await prisma.$transaction([
        prisma.signingKey.updateMany({
          where: { tenantId, alg: key.alg, retiredAt: null },
          data: { retiredAt: now, unpublishAt: unpublishRetiredAt },
        }),
        prisma.signingKey.create({ data: { ...key, tenantId, createdAt: now } }),
        prisma.tenant.update({ where: { id: tenantId }, data: { version: { increment: 1 } } }),
      ]);
    },
    /** removes keys no longer published; returns how many */
    async purgeUnpublished(now = new Date()): Promise<number> {
      const { count } = await prisma.signingKey.deleteMany({ where: { unpublishAt: { lte: now } } });
      return count;
    },
  };
}

export type SigningKeysRepository = ReturnType<typeof createSigningKeysRepository>;
