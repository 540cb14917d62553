// WebAuthn credentials of a tenant's users (issue #5).
import type { PrismaClient } from './generated/client.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface PasskeyRecord {
  readonly id: string;
  readonly userId: string;
  /** base64url */
  readonly credentialId: string;
  readonly publicKey: Uint8Array;
  readonly counter: number;
  readonly transports: string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

export interface NewPasskey {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
}

const select = { id: true, userId: true, credentialId: true, publicKey: true, counter: true, transports: true, deviceType: true, backedUp: true, name: true, createdAt: true, lastUsedAt: true } as const;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function record(row: { counter: bigint; publicKey: Uint8Array } & Omit<PasskeyRecord, 'counter' | 'publicKey'>): PasskeyRecord {
  return { ...row, counter: Number(row.counter), publicKey: new Uint8Array(row.publicKey) };
}

export function createPasskeysRepository(prisma: PrismaClient) {
  return {
    async listForUser(tenantId: string, userId: string): Promise<PasskeyRecord[]> {
      return (await prisma.passkey.findMany({ where: { tenantId, userId }, select, orderBy: { createdAt: 'asc' } })).map(record);
    },
    async countForUser(tenantId: string, userId: string): Promise<number> {
      return prisma.passkey.count({ where: { tenantId, userId } });
    },
    async findByCredentialId(tenantId: string, credentialId: string): Promise<PasskeyRecord | null> {
      const row = await prisma.passkey.findUnique({ where: { tenantId_credentialId: { tenantId, credentialId } }, select });
      return row ? record(row) : null;
    },
    /** @throws AppError('passkey.taken') when the credential is already registered in the tenant */
    async create(tenantId: string, userId: string, input: NewPasskey): Promise<PasskeyRecord> {
      try {
        const row = await prisma.passkey.create({ data: { tenantId, userId, ...input, counter: BigInt(input.counter), publicKey: Buffer.from(input.publicKey) }, select });
        return record(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('passkey.taken');
        throw error;
      }
    },
    /** after a successful assertion: the new signature counter and the time of use */
    async recordUse(id: string, counter: number): Promise<void> {
      await prisma.passkey.update({ where: { id }, data: { counter: BigInt(counter), lastUsedAt: new Date() } });
    },
    async rename(tenantId: string, userId: string, id: string, name: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return (await prisma.passkey.updateMany({ where: { id, tenantId, userId }, data: { name } })).count > 0;
    },
    async remove(tenantId: string, userId: string, id: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return (await prisma.passkey.deleteMany({ where: { id, tenantId, userId } })).count > 0;
    },
  };
}

export type PasskeysRepository = ReturnType<typeof createPasskeysRepository>;
