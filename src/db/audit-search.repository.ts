// Reading a tenant's audit log with filters, newest first, a page at a time (Management API, admin console).
import type { PrismaClient } from './generated/client.js';

export interface AuditFilters {
  type?: string;
  subject?: string;
  actor?: string;
  from?: Date;
  to?: Date;
}

export interface AuditRow {
  id: string;
  seq: number | null;
  type: string;
  actor: string | null;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: string;
  data: unknown;
  createdAt: Date;
}

export function createAuditSearch(prisma: PrismaClient) {
  return {
    /** up to `limit` entries older than the entry `beforeId` (ids grow with time), newest first */
    async search(tenantId: string, filters: AuditFilters, page: { limit: number; beforeId?: bigint }): Promise<AuditRow[]> {
      const rows = await prisma.auditEvent.findMany({
        where: {
          tenantId,
          ...(filters.type ? { type: filters.type } : {}),
          ...(filters.subject ? { subject: filters.subject } : {}),
          ...(filters.actor ? { actor: filters.actor } : {}),
          ...(filters.from || filters.to ? { createdAt: { ...(filters.from ? { gte: filters.from } : {}), ...(filters.to ? { lt: filters.to } : {}) } } : {}),
          ...(page.beforeId !== undefined ? { id: { lt: page.beforeId } } : {}),
        },
        orderBy: { id: 'desc' },
        take: page.limit,
      });
      return rows.map((r) => ({
        id: String(r.id), seq: r.seq === null ? null : Number(r.seq), type: r.type, actor: r.actor, subject: r.subject, clientId: r.clientId,
        ip: r.ip, userAgent: r.userAgent, outcome: r.outcome, data: r.data, createdAt: r.createdAt,
      }));
    },
  };
}

export type AuditSearch = ReturnType<typeof createAuditSearch>;
