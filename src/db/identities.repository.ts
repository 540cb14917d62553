// Identities: which upstream account (connection + subject) opens which user (issue #4).
import type { PrismaClient } from './generated/client.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface IdentityRecord {
  readonly id: string;
  readonly userId: string;
  readonly connection: string;
  readonly subject: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly profile: Record<string, unknown>;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
}

export interface IdentityInput {
  connection: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  /** name, picture: strings or null */
  profile: Record<string, string | null>;
}

const select = { id: true, userId: true, connection: true, subject: true, email: true, emailVerified: true, profile: true, createdAt: true, lastUsedAt: true } as const;

export function createIdentitiesRepository(prisma: PrismaClient) {
  return {
    async find(tenantId: string, connection: string, subject: string): Promise<IdentityRecord | null> {
      return (await prisma.identity.findUnique({ where: { tenantId_connection_subject: { tenantId, connection, subject } }, select })) as IdentityRecord | null;
    },
    async listForUser(tenantId: string, userId: string): Promise<IdentityRecord[]> {
      return (await prisma.identity.findMany({ where: { tenantId, userId }, select, orderBy: { createdAt: 'asc' } })) as IdentityRecord[];
    },
    /** @throws AppError('identity.taken') when that upstream account already opens an account */
    async create(tenantId: string, userId: string, input: IdentityInput): Promise<IdentityRecord> {
      try {
        return (await prisma.identity.create({ data: { tenantId, userId, ...input }, select })) as IdentityRecord;
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('identity.taken');
        throw error;
      }
    },
    /** what the upstream asserted this time, and when it was used */
    async refresh(id: string, input: Pick<IdentityInput, 'email' | 'emailVerified' | 'profile'>): Promise<void> {
      await prisma.identity.update({ where: { id }, data: { ...input, lastUsedAt: new Date() } });
    },
    /** removes the user's identities that claimed `email` without their upstream verifying it; @returns their connections */
    async removeUnproven(tenantId: string, userId: string, email: string): Promise<string[]> {
      const unproven = await prisma.identity.findMany({ where: { tenantId, userId, email, emailVerified: false }, select: { id: true, connection: true } });
      if (unproven.length) await prisma.identity.deleteMany({ where: { id: { in: unproven.map((i) => i.id) } } });
      return unproven.map((i) => i.connection);
    },
    /** @returns whether an identity of this user was removed */
    async remove(tenantId: string, userId: string, connection: string): Promise<boolean> {
      const { count } = await prisma.identity.deleteMany({ where: { tenantId, userId, connection } });
      return count > 0;
    },
  };
}

export type IdentitiesRepository = ReturnType<typeof createIdentitiesRepository>;
