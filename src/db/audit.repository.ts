import type { PrismaClient } from './generated/client.js';

export interface AuditEntry {
  tenantId: string;
  type: string;
  actor?: string | null;
  subject?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  outcome?: 'success' | 'failure';
  data?: Record<string, unknown>;
}

export function createAuditRepository(prisma: PrismaClient) {
  return {
    async append(entry: AuditEntry): Promise<void> {
      await prisma.auditEvent.create({
        data: {
          tenantId: entry.tenantId,
          type: entry.type,
          actor: entry.actor ?? null,
          subject: entry.subject ?? null,
          clientId: entry.clientId ?? null,
          ip: entry.ip ?? null,
          userAgent: entry.userAgent?.slice(0, 512) ?? null,
          outcome: entry.outcome ?? 'success',
          data: (entry.data ?? {}) as object,
        },
      });
    },
    async list(tenantId: string, options: { type?: string; limit?: number } = {}) {
      return prisma.auditEvent.findMany({
        where: { tenantId, ...(options.type ? { type: options.type } : {}) },
        orderBy: { id: 'desc' },
        take: Math.min(options.limit ?? 100, 1000),
      });
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
