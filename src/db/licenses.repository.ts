// Products, policies, license keys (hashed) and device activations (issue #20). Seats are counted and taken under a
// row lock on the license (`SELECT … FOR UPDATE`): concurrent activations of one key queue on that row, so the count
// each one reads includes every seat taken before it, and no key ever holds more seats than its policy allows.
import type { Prisma, PrismaClient } from './generated/client.js';

export interface PolicyRecord {
  readonly id: string; readonly productId: string; readonly name: string; readonly maxDevices: number; readonly floating: boolean;
  readonly leaseSeconds: number | null; readonly validityDays: number | null; readonly entitlements: string[];
  readonly heartbeatSeconds: number; readonly offlineGraceSeconds: number; readonly churnLimit: number; readonly createdAt: Date;
}
export interface ProductRecord { readonly id: string; readonly name: string; readonly createdAt: Date; readonly policies: PolicyRecord[] }
export interface LicenseRecord {
  readonly id: string; readonly tenantId: string; readonly productId: string; readonly policyId: string; readonly keyHint: string;
  readonly userId: string | null; readonly expiresAt: Date | null; readonly revokedAt: Date | null; readonly sequence: number; readonly createdAt: Date;
}
export interface LicenseWithPolicy extends LicenseRecord { readonly policy: PolicyRecord }
export interface ActivationRecord {
  readonly id: string; readonly licenseId: string; readonly fingerprintHash: string; readonly deviceName: string | null;
  readonly devicePublicKey: unknown; readonly createdAt: Date; readonly lastHeartbeatAt: Date; readonly releasedAt: Date | null; readonly releaseReason: string | null;
}
export type PolicyInput = Omit<PolicyRecord, 'id' | 'productId' | 'createdAt'>;
export interface LicenseSearch { productId?: string; userId?: string; status?: 'active' | 'revoked' | 'expired'; hint?: string; limit: number; after?: { createdAt: Date; id: string } }

const license = { id: true, tenantId: true, productId: true, policyId: true, keyHint: true, userId: true, expiresAt: true, revokedAt: true, sequence: true, createdAt: true } as const;

/** the seat operations that run while the license row is locked */
function lockedOperations(tx: Prisma.TransactionClient, licenseId: string) {
  return {
    /** activations still holding a seat, oldest first */
    held: (): Promise<ActivationRecord[]> => tx.licenseActivation.findMany({ where: { licenseId, releasedAt: null }, orderBy: { createdAt: 'asc' } }),
    /** releases the activations last heard from before `silentSince`; returns them */
    async releaseSilent(silentSince: Date, now: Date): Promise<ActivationRecord[]> {
      const silent = await tx.licenseActivation.findMany({ where: { licenseId, releasedAt: null, lastHeartbeatAt: { lt: silentSince } } });
      if (silent.length) await tx.licenseActivation.updateMany({ where: { id: { in: silent.map((a) => a.id) } }, data: { releasedAt: now, releaseReason: 'silent' } });
      return silent;
    },
    create: (tenantId: string, input: { fingerprintHash: string; deviceName: string | null; devicePublicKey: object | null; now: Date }): Promise<ActivationRecord> =>
      tx.licenseActivation.create({
        data: { tenantId, licenseId, fingerprintHash: input.fingerprintHash, deviceName: input.deviceName, devicePublicKey: input.devicePublicKey ?? undefined, createdAt: input.now, lastHeartbeatAt: input.now },
      }),
    touch: (activationId: string, now: Date) => tx.licenseActivation.update({ where: { id: activationId }, data: { lastHeartbeatAt: now } }),
    release: (activationId: string, reason: string, now: Date) =>
      tx.licenseActivation.updateMany({ where: { id: activationId, licenseId, releasedAt: null }, data: { releasedAt: now, releaseReason: reason } }),
  };
}
export type LockedLicense = ReturnType<typeof lockedOperations>;

export function createLicensesRepository(prisma: PrismaClient) {
  return {
    async createProduct(tenantId: string, name: string, policy: PolicyInput): Promise<{ product: ProductRecord; policy: PolicyRecord }> {
      return prisma.$transaction(async (tx) => {
        const product = await tx.licenseProduct.create({ data: { tenantId, name } });
        const created = await tx.licensePolicy.create({ data: { tenantId, productId: product.id, ...policy } });
        return { product: { ...product, policies: [created] }, policy: created };
      });
    },
    createPolicy: (tenantId: string, productId: string, policy: PolicyInput): Promise<PolicyRecord> =>
      prisma.licensePolicy.create({ data: { tenantId, productId, ...policy } }),
    findProduct: (tenantId: string, id: string): Promise<ProductRecord | null> =>
      prisma.licenseProduct.findFirst({ where: { tenantId, id }, include: { policies: { orderBy: { createdAt: 'asc' } } } }),
    listProducts: (tenantId: string): Promise<ProductRecord[]> =>
      prisma.licenseProduct.findMany({ where: { tenantId }, include: { policies: { orderBy: { createdAt: 'asc' } } }, orderBy: { createdAt: 'asc' } }),
    async issue(rows: { id: string; tenantId: string; productId: string; policyId: string; keyHash: string; keyHint: string; userId: string | null; expiresAt: Date | null; createdAt: Date }[]): Promise<number> {
      return (await prisma.license.createMany({ data: rows })).count;
    },
    /** by any of the key's hashes (one per pepper still accepted) */
    findByKeyHash: (tenantId: string, keyHashes: string[]): Promise<LicenseWithPolicy | null> =>
      prisma.license.findFirst({ where: { tenantId, keyHash: { in: keyHashes } }, select: { ...license, policy: true } }),
    find: (tenantId: string, id: string): Promise<LicenseWithPolicy | null> =>
      prisma.license.findFirst({ where: { tenantId, id }, select: { ...license, policy: true } }),
    /** newest first, keyset-paginated on (created_at, id) */
    search(tenantId: string, query: LicenseSearch, now: Date): Promise<LicenseRecord[]> {
      const status: Prisma.LicenseWhereInput = query.status === 'revoked' ? { revokedAt: { not: null } }
        : query.status === 'expired' ? { revokedAt: null, expiresAt: { lte: now } }
        : query.status === 'active' ? { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } : {};
      const after: Prisma.LicenseWhereInput = query.after
        ? { OR: [{ createdAt: { lt: query.after.createdAt } }, { createdAt: query.after.createdAt, id: { lt: query.after.id } }] } : {};
      return prisma.license.findMany({
        where: { tenantId, ...(query.productId ? { productId: query.productId } : {}), ...(query.userId ? { userId: query.userId } : {}), ...(query.hint ? { keyHint: query.hint } : {}), AND: [status, after] },
        select: license, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: query.limit + 1,
      });
    },
    activations: (tenantId: string, licenseId: string): Promise<ActivationRecord[]> =>
      prisma.licenseActivation.findMany({ where: { tenantId, licenseId }, orderBy: { createdAt: 'asc' } }),
    /** the activations holding a seat, read without the lock (a snapshot) */
    held: (licenseId: string): Promise<ActivationRecord[]> => prisma.licenseActivation.findMany({ where: { licenseId, releasedAt: null }, orderBy: { createdAt: 'asc' } }),
    findActivation: (tenantId: string, id: string): Promise<ActivationRecord | null> =>
      prisma.licenseActivation.findFirst({ where: { tenantId, id } }),
    update: (id: string, data: { revokedAt?: Date; expiresAt?: Date | null; userId?: string | null }): Promise<LicenseRecord> =>
      prisma.license.update({ where: { id }, data, select: license }),
    /** the next token sequence number of the license: atomic, so it only ever grows */
    async nextSequence(id: string): Promise<number> {
      const [row] = await prisma.$queryRaw<{ sequence: number }[]>`UPDATE licenses SET sequence = sequence + 1 WHERE id = ${id}::uuid RETURNING sequence`;
      return row!.sequence;
    },
    /**
     * Runs `work` with the license row locked (`SELECT … FOR UPDATE`) in one transaction: seat checks and changes of
     * one license happen one at a time, across processes. Waits up to 15 s for a connection and the lock.
     */
    withLicenseLocked<T>(licenseId: string, work: (locked: LockedLicense) => Promise<T>): Promise<T> {
      return prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM licenses WHERE id = ${licenseId}::uuid FOR UPDATE`;
        return work(lockedOperations(tx, licenseId));
      }, { maxWait: 15_000, timeout: 15_000 });
    },
  };
}

export type LicensesRepository = ReturnType<typeof createLicensesRepository>;
