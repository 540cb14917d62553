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
    async list(tenantId: string): Promise<ClientRecord[]> {
      return (await prisma.client.findMany({ where: { tenantId }, select, orderBy: { createdAt: 'asc' } })) as ClientRecord[];
    },
  };
}

export type ClientsRepository = ReturnType<typeof createClientsRepository>;
