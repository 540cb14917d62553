import type { PrismaClient } from './generated/client.js';

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** oidc-provider client metadata without the secret */
  readonly metadata: Record<string, unknown>;
  readonly sealedSecret: string | null;
  readonly firstParty: boolean;
  readonly updatedAt: Date;
}

const select = { clientId: true, name: true, metadata: true, sealedSecret: true, firstParty: true, updatedAt: true } as const;

export function createClientsRepository(prisma: PrismaClient) {
  return {
    async find(tenantId: string, clientId: string): Promise<ClientRecord | null> {
      if (clientId.includes('\0')) return null; // PostgreSQL text cannot hold NUL; no client id contains one
      const row = await prisma.client.findUnique({ where: { tenantId_clientId: { tenantId, clientId } }, select });
      return row as ClientRecord | null;
    },
    async create(tenantId: string, input: Omit<ClientRecord, 'updatedAt'>): Promise<void> {
      await prisma.client.create({ data: { tenantId, ...input, metadata: input.metadata as object } });
    },
    /** inserts unless a client with this id exists (INSERT … ON CONFLICT DO NOTHING); @returns whether it inserted */
    async createIfAbsent(tenantId: string, input: Omit<ClientRecord, 'updatedAt'>): Promise<boolean> {
      const { count } = await prisma.client.createMany({ data: [{ tenantId, ...input, metadata: input.metadata as object }], skipDuplicates: true });
      return count === 1;
    },
    async update(tenantId: string, clientId: string, data: { name?: string; metadata?: Record<string, unknown>; sealedSecret?: string | null; firstParty?: boolean }): Promise<boolean> {
      const { count } = await prisma.client.updateMany({ where: { tenantId, clientId }, data: { ...data, ...(data.metadata ? { metadata: data.metadata as object } : {}) } });
      return count === 1;
    },
    async delete(tenantId: string, clientId: string): Promise<boolean> {
      return (await prisma.client.deleteMany({ where: { tenantId, clientId } })).count === 1;
    },
    async list(tenantId: string): Promise<ClientRecord[]> {
      return (await prisma.client.findMany({ where: { tenantId }, select, orderBy: { createdAt: 'asc' } })) as ClientRecord[];
    },
  };
}

export type ClientsRepository = ReturnType<typeof createClientsRepository>;
