// Reading a tenant's audit log page by page with filters (the admin console's audit page): newest first, with a
// cursor (the last id seen) so pages stay stable while new entries arrive.
import type { PrismaClient } from './generated/client.js';

export interface AuditFilter {
  /** exact type, or a prefix ending in `.` (e.g. `admin.`) */
  type?: string;
  /** the subject or the actor */
  who?: string;
  /** exactly this subject (Management API) */
  subject?: string;
  /** exactly this actor (Management API) */
  actor?: string;
  from?: Date;
  to?: Date;
  /** entries older than this id */
  before?: bigint;
  limit?: number;
}

export interface AuditRow {
  id: bigint; seq: bigint | null; type: string; actor: string | null; subject: string | null; clientId: string | null; ip: string | null;
  userAgent: string | null; outcome: string; data: unknown; createdAt: Date;
}

export function createAuditSearch(prisma: PrismaClient) {
  return {
    async search(tenantId: string, filter: AuditFilter): Promise<{ rows: AuditRow[]; next: bigint | null }> {
      const take = Math.min(Math.max(filter.limit ?? 50, 1), 200);
      const rows = await prisma.auditEvent.findMany({
        where: {
          tenantId,
          ...(filter.type ? { type: filter.type.endsWith('.') ? { startsWith: filter.type } : filter.type } : {}),
          ...(filter.who ? { OR: [{ subject: filter.who }, { actor: filter.who }] } : {}),
          ...(filter.subject ? { subject: filter.subject } : {}),
          ...(filter.actor ? { actor: filter.actor } : {}),
          ...(filter.from || filter.to ? { createdAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
          ...(filter.before !== undefined ? { id: { lt: filter.before } } : {}),
        },
        orderBy: { id: 'desc' },
        take: take + 1,
        select: { id: true, seq: true, type: true, actor: true, subject: true, clientId: true, ip: true, userAgent: true, outcome: true, data: true, createdAt: true },
      });
      return { rows: rows.slice(0, take), next: rows.length > take ? rows[take - 1]!.id : null };
    },
  };
}

export type AuditSearch = ReturnType<typeof createAuditSearch>;
