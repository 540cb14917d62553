import type { PrismaClient } from './generated/client.js';
import { entryHash, genesisHash, type ChainedFields, type ChainReport } from '../crypto/audit-chain.js';
import { isUniqueViolation } from './prisma-errors.js';

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

const RETRIES = 3;

export function createAuditRepository(prisma: PrismaClient) {
  return {
    /**
     * Appends entries of one tenant to its hash chain, in order, in one transaction: the head row is locked, so
     * appends of a tenant — from any process — are chained one batch at a time.
     */
    async appendBatch(tenantId: string, entries: AuditEntry[]): Promise<void> {
      if (!entries.length) return;
      const rows = entries.map((entry) => ({
        tenantId, type: entry.type, actor: entry.actor ?? null, subject: entry.subject ?? null,
        clientId: entry.clientId ?? null, ip: entry.ip ?? null, userAgent: entry.userAgent?.slice(0, 512) ?? null,
        outcome: entry.outcome ?? 'success', data: JSON.parse(JSON.stringify(entry.data ?? {})) as object, createdAt: new Date(),
      }));
      for (let attempt = 1; ; attempt++) {
        try {
          await prisma.$transaction(async (tx) => {
            // one statement creates the head (genesis) or locks and advances it: the same round trip either way
            const [head] = await tx.$queryRaw<{ seq: bigint; hash: string }[]>`INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (${tenantId}::uuid, ${rows.length}, ${genesisHash(tenantId)})
              ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq + ${rows.length} RETURNING seq, hash`;
            let seq = Number(head!.seq) - rows.length;
            let previous = head!.hash;
            const chained = rows.map((row) => {
              seq += 1;
              const hash = entryHash(previous, { ...row, seq, createdAt: row.createdAt.toISOString() });
              const linked = { ...row, seq: BigInt(seq), prevHash: previous, hash };
              previous = hash;
              return linked;
            });
            await tx.auditEvent.createMany({ data: chained });
            await tx.$executeRaw`UPDATE audit_heads SET hash = ${previous} WHERE tenant_id = ${tenantId}::uuid`;
          });
          return;
        } catch (error) {
          // two first entries of a tenant racing to create its head: the loser tries again on the existing head
          if (attempt >= RETRIES || !isUniqueViolation(error)) throw error;
        }
      }
    },
    async list(tenantId: string, options: { type?: string; limit?: number } = {}) {
      return prisma.auditEvent.findMany({
        where: { tenantId, ...(options.type ? { type: options.type } : {}) },
        orderBy: { id: 'desc' },
        take: Math.min(options.limit ?? 100, 1000),
      });
    },
    /** walks the tenant's chain from its first entry and reports the first link that does not hold */
    async verify(tenantId: string): Promise<ChainReport> {
      const unchained = await prisma.auditEvent.count({ where: { tenantId, seq: null } });
      let previous = genesisHash(tenantId);
      let expected = 1;
      let entries = 0;
      for await (const event of chained(prisma, tenantId)) {
        const seq = Number(event.seq);
        const broken = (reason: string): ChainReport => ({ ok: false, entries, unchained, firstBroken: { seq, id: String(event.id), reason } });
        if (seq !== expected) return broken(seq > expected ? `entries ${expected}–${seq - 1} are missing` : 'sequence out of order');
        if (event.prevHash !== previous) return broken('does not link to the previous entry');
        if (event.hash !== entryHash(previous, fieldsOf(event))) return broken('its content does not match its hash');
        previous = event.hash!;
        expected += 1;
        entries += 1;
      }
      const head = await prisma.auditHead.findUnique({ where: { tenantId } });
      if (head && (Number(head.seq) !== entries || head.hash !== previous)) {
        return { ok: false, entries, unchained, firstBroken: { seq: entries + 1, id: '', reason: `the chain ends at entry ${entries} but ${Number(head.seq)} were written` } };
      }
      return { ok: true, entries, unchained, firstBroken: null };
    },
    /** every entry of the tenant, oldest first, as stored (for export as JSON lines) */
    async *export(tenantId: string): AsyncGenerator<Record<string, unknown>> {
      for await (const event of chained(prisma, tenantId, true)) {
        yield { ...fieldsOf(event), seq: event.seq === null ? null : Number(event.seq), prevHash: event.prevHash, hash: event.hash };
      }
    },
  };
}

type EventRow = Awaited<ReturnType<PrismaClient['auditEvent']['findMany']>>[number];

function fieldsOf(event: EventRow): ChainedFields {
  return {
    tenantId: event.tenantId, seq: Number(event.seq), type: event.type, actor: event.actor, subject: event.subject, clientId: event.clientId,
    ip: event.ip, userAgent: event.userAgent, outcome: event.outcome, data: event.data, createdAt: event.createdAt.toISOString(),
  };
}

/** the tenant's entries in the order they were written (chained ones only, unless asked), a page at a time */
async function* chained(prisma: PrismaClient, tenantId: string, includeUnchained = false): AsyncGenerator<EventRow> {
  let after: bigint | null = null;
  for (;;) {
    const page: EventRow[] = await prisma.auditEvent.findMany({
      where: { tenantId, ...(includeUnchained ? {} : { seq: { not: null } }), ...(after !== null ? { id: { gt: after } } : {}) },
      orderBy: { id: 'asc' },
      take: 1000,
    });
    yield* page;
    if (page.length < 1000) return;
    after = page.at(-1)!.id;
  }
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
