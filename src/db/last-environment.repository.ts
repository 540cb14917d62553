// The environment a user last entered (issue #19): where /v1/auth/login signs them in when they name none.
import type { PrismaClient } from './generated/client.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createLastEnvironmentRepository(prisma: PrismaClient) {
  return {
    async get(userId: string): Promise<string | null> {
      if (!uuid.test(userId)) return null;
      return (await prisma.user.findUnique({ where: { id: userId }, select: { lastEnvironment: true } }))?.lastEnvironment ?? null;
    },
    async set(userId: string, environment: string): Promise<void> {
      if (!uuid.test(userId)) return;
      await prisma.user.updateMany({ where: { id: userId }, data: { lastEnvironment: environment } });
    },
  };
}

export type LastEnvironmentRepository = ReturnType<typeof createLastEnvironmentRepository>;
