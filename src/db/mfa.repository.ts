// Second factors other than passkeys (issue #5): TOTP authenticators, SMS numbers (issue #16), recovery codes, trusted
// browsers.
import type { PrismaClient } from './generated/client.js';
import type { Sql } from './database.js';

export interface TotpRecord {
  readonly id: string;
  readonly name: string;
  readonly sealedSecret: string;
  readonly confirmed: boolean;
  readonly lastTimeStep: number | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

export interface SmsFactorRecord {
  readonly id: string;
  readonly sealedSecret: string;
  readonly createdAt: Date;
}

/** what a sign-in's second-factor gate needs to know of a user (auth-methods/mfa/enrolled-factors.ts) */
export interface SecondFactorFacts {
  readonly totp: boolean;
  readonly sms: boolean;
  readonly passkeys: number;
  readonly recoveryCodesLeft: number;
}

export interface TrustedDeviceRecord {
  readonly id: string;
  readonly userId: string;
  readonly device: string;
  readonly ip: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
}

const totpSelect = { id: true, name: true, sealedSecret: true, confirmed: true, lastTimeStep: true, createdAt: true, lastUsedAt: true } as const;
const smsSelect = { id: true, sealedSecret: true, createdAt: true } as const;
const deviceSelect = { id: true, userId: true, device: true, ip: true, createdAt: true, expiresAt: true, lastUsedAt: true } as const;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const totp = (row: Omit<TotpRecord, 'lastTimeStep'> & { lastTimeStep: bigint | null }): TotpRecord => ({ ...row, lastTimeStep: row.lastTimeStep === null ? null : Number(row.lastTimeStep) });

/** @param now the clock trusted devices expire by (ms); default Date.now */
export function createMfaRepository(prisma: PrismaClient, sql: Sql, now: () => number = Date.now) {
  return {
    /**
     * Whether the user holds a confirmed TOTP and a confirmed SMS factor, how many passkeys and unused recovery codes:
     * one plain-SQL statement, as every password sign-in asks (four Prisma queries before).
     */
    async secondFactorFacts(tenantId: string, userId: string): Promise<SecondFactorFacts> {
      if (!uuid.test(tenantId) || !uuid.test(userId)) return { totp: false, sms: false, passkeys: 0, recoveryCodesLeft: 0 };
      const [row] = await sql.query<SecondFactorFacts>(
        `SELECT EXISTS (SELECT 1 FROM mfa_factors WHERE tenant_id = $1::uuid AND user_id = $2::uuid AND type = 'totp' AND confirmed) AS totp,
           EXISTS (SELECT 1 FROM mfa_factors WHERE tenant_id = $1::uuid AND user_id = $2::uuid AND type = 'sms' AND confirmed) AS sms,
           (SELECT count(*) FROM passkeys WHERE tenant_id = $1::uuid AND user_id = $2::uuid)::int AS passkeys,
           (SELECT count(*) FROM recovery_codes WHERE tenant_id = $1::uuid AND user_id = $2::uuid AND used_at IS NULL)::int AS "recoveryCodesLeft"`,
        [tenantId, userId],
      );
      return row!;
    },
    async totpFactors(tenantId: string, userId: string): Promise<TotpRecord[]> {
      return (await prisma.mfaFactor.findMany({ where: { tenantId, userId, type: 'totp' }, select: totpSelect, orderBy: { createdAt: 'asc' } })).map(totp);
    },
    async findTotp(tenantId: string, userId: string, id: string): Promise<TotpRecord | null> {
      if (!uuid.test(id)) return null;
      const row = await prisma.mfaFactor.findFirst({ where: { id, tenantId, userId, type: 'totp' }, select: totpSelect });
      return row ? totp(row) : null;
    },
    async createTotp(tenantId: string, userId: string, name: string, sealedSecret: string): Promise<TotpRecord> {
      return totp(await prisma.mfaFactor.create({ data: { tenantId, userId, type: 'totp', name, sealedSecret }, select: totpSelect }));
    },
    /**
     * Accepts time step `step` for the factor only if it is later than the last accepted one (RFC 6238 §5.2: a code
     * is used once). Atomic: of two concurrent uses of one code, one wins. Confirms an unconfirmed factor.
     */
    async acceptTimeStep(id: string, step: number): Promise<boolean> {
      const { count } = await prisma.mfaFactor.updateMany({
        where: { id, OR: [{ lastTimeStep: null }, { lastTimeStep: { lt: BigInt(step) } }] },
        data: { lastTimeStep: BigInt(step), confirmed: true, lastUsedAt: new Date() },
      });
      return count === 1;
    },
    async removeTotp(tenantId: string, userId: string, id: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return (await prisma.mfaFactor.deleteMany({ where: { id, tenantId, userId, type: 'totp' } })).count > 0;
    },
    /** unconfirmed enrolments older than `before` are dropped */
    async dropUnconfirmed(tenantId: string, userId: string): Promise<void> {
      await prisma.mfaFactor.deleteMany({ where: { tenantId, userId, confirmed: false } });
    },

    /** the user's confirmed SMS factor (its phone sealed like a TOTP secret), or null: one per user */
    async smsFactor(tenantId: string, userId: string): Promise<SmsFactorRecord | null> {
      return prisma.mfaFactor.findFirst({ where: { tenantId, userId, type: 'sms', confirmed: true }, select: smsSelect });
    },
    /** the SMS factor, confirmed (its number was just proven by a code): replaces any earlier one */
    async replaceSmsFactor(tenantId: string, userId: string, sealedPhone: string): Promise<SmsFactorRecord> {
      const [, created] = await prisma.$transaction([
        prisma.mfaFactor.deleteMany({ where: { tenantId, userId, type: 'sms' } }),
        prisma.mfaFactor.create({ data: { tenantId, userId, type: 'sms', name: 'Text message', sealedSecret: sealedPhone, confirmed: true }, select: smsSelect }),
      ]);
      return created;
    },
    async removeSmsFactor(tenantId: string, userId: string): Promise<boolean> {
      return (await prisma.mfaFactor.deleteMany({ where: { tenantId, userId, type: 'sms' } })).count > 0;
    },
    /** how many users of the tenant hold each kind of confirmed factor, and how many hold any (the compliance report) */
    async enrolmentCounts(tenantId: string): Promise<{ users: number; enrolled: number; byMethod: { totp: number; sms: number; webauthn: number } }> {
      const [users, factors, keys, any] = await Promise.all([
        prisma.user.count({ where: { tenantId } }),
        prisma.$queryRaw<{ type: string; n: bigint }[]>`SELECT type, count(DISTINCT user_id) AS n FROM mfa_factors WHERE tenant_id = ${tenantId}::uuid AND confirmed GROUP BY type`,
        prisma.$queryRaw<{ n: bigint }[]>`SELECT count(DISTINCT user_id) AS n FROM passkeys WHERE tenant_id = ${tenantId}::uuid`,
        prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM (SELECT user_id FROM mfa_factors WHERE tenant_id = ${tenantId}::uuid AND confirmed UNION SELECT user_id FROM passkeys WHERE tenant_id = ${tenantId}::uuid) AS enrolled`,
      ]);
      const of = (type: string) => Number(factors.find((f) => f.type === type)?.n ?? 0);
      return { users, enrolled: Number(any[0]?.n ?? 0), byMethod: { totp: of('totp'), sms: of('sms'), webauthn: Number(keys[0]?.n ?? 0) } };
    },

    async replaceRecoveryCodes(tenantId: string, userId: string, codeHashes: string[]): Promise<void> {
      await prisma.$transaction([
        prisma.recoveryCode.deleteMany({ where: { tenantId, userId } }),
        prisma.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ tenantId, userId, codeHash })) }),
      ]);
    },
    async recoveryCodesLeft(tenantId: string, userId: string): Promise<number> {
      return prisma.recoveryCode.count({ where: { tenantId, userId, usedAt: null } });
    },
    /** marks an unused code used; atomic, so a code works once */
    async useRecoveryCode(tenantId: string, userId: string, codeHash: string): Promise<boolean> {
      return (await prisma.recoveryCode.updateMany({ where: { tenantId, userId, codeHash, usedAt: null }, data: { usedAt: new Date() } })).count === 1;
    },

    /** removes every expired trusted device (periodic clean-up) @returns how many */
    async deleteExpiredTrustedDevices(now = new Date()): Promise<number> {
      return (await prisma.trustedDevice.deleteMany({ where: { expiresAt: { lte: now } } })).count;
    },
    async trustDevice(tenantId: string, userId: string, input: { tokenHash: string; device: string; ip: string | null; expiresAt: Date }): Promise<void> {
      await prisma.trustedDevice.create({ data: { tenantId, userId, ...input } });
    },
    /** the live trusted device with this token hash, touched as used */
    async findTrustedDevice(tenantId: string, tokenHash: string): Promise<TrustedDeviceRecord | null> {
      const row = await prisma.trustedDevice.findUnique({ where: { tokenHash }, select: { ...deviceSelect, tenantId: true } });
      if (!row || row.tenantId !== tenantId || row.expiresAt.getTime() <= now()) return null;
      await prisma.trustedDevice.update({ where: { tokenHash }, data: { lastUsedAt: new Date(now()) } });
      const { tenantId: _, ...device } = row;
      return device;
    },
    async trustedDevices(tenantId: string, userId: string): Promise<TrustedDeviceRecord[]> {
      return prisma.trustedDevice.findMany({ where: { tenantId, userId, expiresAt: { gt: new Date(now()) } }, select: deviceSelect, orderBy: { createdAt: 'desc' } });
    },
    async revokeTrustedDevice(tenantId: string, userId: string, id: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return (await prisma.trustedDevice.deleteMany({ where: { id, tenantId, userId } })).count > 0;
    },
    async revokeAllTrustedDevices(tenantId: string, userId: string): Promise<number> {
      return (await prisma.trustedDevice.deleteMany({ where: { tenantId, userId } })).count;
    },
  };
}

export type MfaRepository = ReturnType<typeof createMfaRepository>;
