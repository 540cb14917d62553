// The database side of audit retention (src/audit/audit-retention.ts): which prefix of a tenant's chain is old
// enough to go, reading it out for export, and — once exported — moving the tenant's anchor past it, deleting it and
// appending the `audit.pruned` entry, all in one transaction.
import type { PrismaClient } from './generated/client.js';
import { anchorOf, appendChained, exported, prunedType, sqlOf, type AuditEntry, type EventRow } from './audit.repository.js';

/** a prefix of a tenant's remaining chain: entries fromSeq..throughSeq */
export interface PruneRange { fromSeq: number; throughSeq: number }

export class PruneConflictError extends Error {}

export function createAuditPruneRepository(prisma: PrismaClient) {
  return {
    /**
     * The entries written before `before` that can go: only a prefix of the remaining chain (up to the first entry
     * at or after `before`), so what stays still links to the anchor. Only entries the head already counts are
     * considered: those are committed, whatever is being appended meanwhile. Null when there is nothing to prune.
     */
    async plan(tenantId: string, before: Date, limit = Number.MAX_SAFE_INTEGER): Promise<PruneRange | null> {
      const head = await prisma.auditHead.findUnique({ where: { tenantId } });
      if (!head) return null;
      const anchor = Number(head.anchorSeq);
      const [{ first }] = await prisma.$queryRaw<{ first: bigint | null }[]>`
        SELECT min(seq) AS first FROM audit_events WHERE tenant_id = ${tenantId}::uuid AND seq > ${anchor} AND created_at >= ${before}`;
      const through = Math.min(first === null ? Number(head.seq) : Number(first) - 1, Number(head.seq), anchor + limit);
      return through > anchor ? { fromSeq: anchor + 1, throughSeq: through } : null;
    },
    /** the entries of a range, oldest first, as `audit export` writes them */
    async *entries(tenantId: string, range: PruneRange): AsyncGenerator<Record<string, unknown>> {
      for (let from = range.fromSeq; from <= range.throughSeq; from += 1000) {
        const page: EventRow[] = await prisma.auditEvent.findMany({
          where: { tenantId, seq: { gte: from, lte: Math.min(from + 999, range.throughSeq) } },
          orderBy: { seq: 'asc' },
        });
        yield* page.map(exported);
      }
    },
    /**
     * Records the anchor (the last pruned entry's seq and hash), deletes the range and appends `pruned` to the
     * chain. The head row stays locked throughout, so appends of the tenant wait and then chain after `pruned`.
     * @throws PruneConflictError when another prune moved the anchor, or the last entry is not the one exported
     */
    async prune(tenantId: string, range: PruneRange, anchorHash: string, pruned: Omit<AuditEntry, 'tenantId' | 'type'>): Promise<number> {
      return prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM audit_heads WHERE tenant_id = ${tenantId}::uuid FOR UPDATE`;
        const anchor = await anchorOf(tx, tenantId);
        if (anchor.seq !== range.fromSeq - 1) throw new PruneConflictError(`another prune moved the anchor to entry ${anchor.seq}`);
        const last = await tx.auditEvent.findFirst({ where: { tenantId, seq: range.throughSeq }, select: { hash: true } });
        if (last?.hash !== anchorHash) throw new PruneConflictError(`entry ${range.throughSeq} is not the one exported`);
        await tx.auditHead.update({ where: { tenantId }, data: { anchorSeq: BigInt(range.throughSeq), anchorHash } });
        const deleted = await tx.auditEvent.deleteMany({ where: { tenantId, seq: { gte: range.fromSeq, lte: range.throughSeq } } });
        await appendChained(sqlOf(tx), tenantId, [{ ...pruned, tenantId, type: prunedType }]);
        return deleted.count;
      }, { timeout: 120_000, maxWait: 10_000 });
    },
    anchor: (tenantId: string) => anchorOf(prisma, tenantId),
    /** what each `audit.pruned` entry still in the chain records */
    async prunedRecords(tenantId: string): Promise<Array<{ seq: number; data: Record<string, unknown> }>> {
      const rows = await prisma.auditEvent.findMany({ where: { tenantId, type: prunedType }, select: { seq: true, data: true }, orderBy: { seq: 'asc' } });
      return rows.map((row) => ({ seq: Number(row.seq), data: row.data as Record<string, unknown> }));
    },
    /** tenants whose oldest remaining chained entry was written before `before` */
    async tenantsWithEntriesBefore(before: Date): Promise<string[]> {
      const rows = await prisma.$queryRaw<{ tenant_id: string }[]>`
        SELECT h.tenant_id FROM audit_heads h JOIN audit_events e ON e.tenant_id = h.tenant_id AND e.seq = h.anchor_seq + 1
        WHERE e.created_at < ${before}`;
      return rows.map((r) => r.tenant_id);
    },
  };
}

export type AuditPruneRepository = ReturnType<typeof createAuditPruneRepository>;
