import type { PrismaClient } from './generated/client.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly passwordHash: string | null;
  /** standard claims (OIDC Core 5.1) other than sub/email */
  readonly profile: Record<string, unknown>;
  readonly disabled: boolean;
  readonly updatedAt: Date;
}

const select = { id: true, email: true, emailVerified: true, passwordHash: true, profile: true, disabled: true, updatedAt: true } as const;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createUsersRepository(prisma: PrismaClient) {
  return {
    async findById(tenantId: string, id: string): Promise<UserRecord | null> {
      if (!uuid.test(id)) return null;
      return (await prisma.user.findFirst({ where: { id, tenantId }, select })) as UserRecord | null;
    },
    async findByEmail(tenantId: string, email: string): Promise<UserRecord | null> {
      return (await prisma.user.findUnique({ where: { tenantId_email: { tenantId, email } }, select })) as UserRecord | null;
    },
    /** @throws AppError('user.email_taken') */
    async create(tenantId: string, input: { email: string; emailVerified: boolean; passwordHash: string | null; profile: object }): Promise<UserRecord> {
      try {
        return (await prisma.user.create({ data: { tenantId, ...input }, select })) as UserRecord;
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('user.email_taken');
        throw error;
      }
    },
    async recordLogin(id: string, newPasswordHash?: string): Promise<void> {
      await prisma.user.update({
        where: { id },
        data: { lastLoginAt: new Date(), ...(newPasswordHash ? { passwordHash: newPasswordHash } : {}) },
      });
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
