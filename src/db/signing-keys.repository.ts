import type { PrismaClient } from './generated/client.js';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly sealedJwk: string;
  readonly createdAt: Date;
  readonly activatesAt: Date | null;
  readonly retiredAt: Date | null;
  readonly unpublishAt: Date | null;
}

/** what a rotation does to the keys of one alg */
export interface RotationPlan {
  readonly now: Date;
  /** when the new key starts signing and the signing key(s) of its alg stop */
  readonly activatesAt: Date;
  /** when the keys it replaces leave the JWKS */
  readonly previousUnpublishAt: Date;
}

const select = { kid: true, alg: true, sealedJwk: true, createdAt: true, activatesAt: true, retiredAt: true, unpublishAt: true } as const;

export function createSigningKeysRepository(prisma: PrismaClient) {
  return {
    /** keys still in the JWKS: pre-published, signing, and retired ones whose tokens may not have expired yet, newest first */
    listPublished(tenantId: string, now = new Date()): Promise<SigningKeyRecord[]> {
      return prisma.signingKey.findMany({
        where: { tenantId, OR: [{ unpublishAt: null }, { unpublishAt: { gt: now } }] },
        select,
        orderBy: { createdAt: 'desc' },
      });
    },
    /**
     * Adds a key that signs from `plan.activatesAt`, atomically: a key of the alg still waiting to sign is dropped
     * (it signed nothing), and the key(s) signing now stop then and leave the JWKS at `plan.previousUnpublishAt`.
     * @returns the keys it replaces
     */
    async rotate(tenantId: string, key: { kid: string; alg: string; sealedJwk: string }, plan: RotationPlan): Promise<{ kid: string }[]> {
      const { now, activatesAt, previousUnpublishAt } = plan;
      return prisma.$transaction(async (tx) => {
        await tx.signingKey.deleteMany({ where: { tenantId, alg: key.alg, activatesAt: { gt: now } } });
        const signing = { tenantId, alg: key.alg, OR: [{ activatesAt: null }, { activatesAt: { lte: now } }], AND: [{ OR: [{ retiredAt: null }, { retiredAt: { gt: now } }] }] };
        const replaced = await tx.signingKey.findMany({ where: signing, select: { kid: true } });
        await tx.signingKey.updateMany({ where: { kid: { in: replaced.map((k) => k.kid) } }, data: { retiredAt: activatesAt, unpublishAt: previousUnpublishAt } });
        await tx.signingKey.create({ data: { ...key, tenantId, createdAt: now, activatesAt: activatesAt > now ? activatesAt : null } });
        await tx.tenant.update({ where: { id: tenantId }, data: { version: { increment: 1 } } });
        return replaced;
      });
    },
    /** removes keys no longer published; returns how many */
    async purgeUnpublished(now = new Date()): Promise<number> {
      const { count } = await prisma.signingKey.deleteMany({ where: { unpublishAt: { lte: now } } });
      return count;
    },
  };
}

export type SigningKeysRepository = ReturnType<typeof createSigningKeysRepository>;
