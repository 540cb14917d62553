import type { PrismaClient } from './generated/client.js';
import type { Sql } from './database.js';
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
/** chain heads this process remembers (the tenants it wrote last); past this many, the oldest are forgotten */
const REMEMBERED_HEADS = 10_000;

export function createAuditRepository(prisma: PrismaClient, sql: Sql) {
  // The head this process's last append of a tenant made. The next append sends it as a compare-and-set with the
  // entries (one statement, one round trip) instead of a transaction that locks the head to read it (four): a stream
  // of refreshes appends every 10 ms (audit-log.ts). When another process appended, or a prune ran, the head moved,
  // the compare-and-set writes nothing, and the locked transaction runs as for a head never seen.
  const heads = new Map<string, ChainHead>();
  const remember = (tenantId: string, head: ChainHead) => {
    heads.delete(tenantId);
    heads.set(tenantId, head);
    if (heads.size > REMEMBERED_HEADS) heads.delete(heads.keys().next().value!);
  };

  return {
    /**
     * Appends entries of one tenant to its hash chain, in order: after the head this process last wrote, if it is
     * still the head, in one statement; else in one transaction that locks the head row, so appends of a tenant — from
     * any process — are chained one batch at a time. Plain SQL, no Prisma: every refresh and sign-in records an entry
     * (docs/benchmarks.md).
     */
    async appendBatch(tenantId: string, entries: AuditEntry[]): Promise<void> {
      if (!entries.length) return;
      const known = heads.get(tenantId);
      if (known) {
        // forgotten first: should the statement fail, whether it was committed is unknown
        heads.delete(tenantId);
        const head = await appendAfter(sql, tenantId, entries, known);
        if (head) return remember(tenantId, head);
      }
      for (let attempt = 1; ; attempt++) {
        try {
          remember(tenantId, await sql.transaction((tx) => appendChained(tx, tenantId, entries)));
          return;
        } catch (error) {
          // two first entries of a tenant racing to create its head: the loser tries again on the existing head
          if (attempt >= RETRIES || !(isUniqueViolation(error) || (error as { code?: unknown }).code === '23505')) throw error;
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
    /**
     * walks the tenant's chain from its anchor (the last pruned entry, else the genesis value) and reports the first
     * link that does not hold; a prune running meanwhile moves the anchor, and the walk starts again from the new one
     */
    async verify(tenantId: string): Promise<ChainReport> {
      for (let attempt = 1; ; attempt++) {
        const anchor = await anchorOf(prisma, tenantId);
        const report = await walk(prisma, tenantId, anchor);
        const now = await anchorOf(prisma, tenantId);
        if (report.ok || attempt >= 3 || (now.seq === anchor.seq && now.hash === anchor.hash)) return report;
      }
    },
    /** every entry of the tenant, oldest first, as stored (for export as JSON lines) */
    async *export(tenantId: string): AsyncGenerator<Record<string, unknown>> {
      for await (const event of chained(prisma, tenantId, true)) {
        yield exported(event);
      }
    },
  };
}

export type EventRow = Awaited<ReturnType<PrismaClient['auditEvent']['findMany']>>[number];

export function fieldsOf(event: EventRow): ChainedFields {
  return {
    tenantId: event.tenantId, seq: Number(event.seq), type: event.type, actor: event.actor, subject: event.subject, clientId: event.clientId,
    ip: event.ip, userAgent: event.userAgent, outcome: event.outcome, data: event.data, createdAt: event.createdAt.toISOString(),
  };
}

/** an entry as `audit export` and the retention's export files write it: its chained fields, link and hash */
export function exported(event: EventRow): Record<string, unknown> {
  return { ...fieldsOf(event), seq: event.seq === null ? null : Number(event.seq), prevHash: event.prevHash, hash: event.hash };
}

/** the tenant's entries in the order they were written (chained ones only, unless asked), a page at a time */
export async function* chained(prisma: PrismaClient, tenantId: string, includeUnchained = false): AsyncGenerator<EventRow> {
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

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** a Prisma transaction as the plain-SQL statements appendChained sends (the audit prune's transaction) */
export const sqlOf = (tx: Tx): Pick<Sql, 'query'> => ({ query: <T>(text: string, values: readonly unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...values) });

/** a tenant's chain head: its last entry's seq and hash */
export interface ChainHead { seq: number; hash: string }

/** the entries as rows linked after `head`, and the head they make */
function linked(tenantId: string, entries: AuditEntry[], head: ChainHead): { rows: object[]; head: ChainHead } {
  let seq = head.seq;
  let previous = head.hash;
  const rows = entries.map((entry) => {
    seq += 1;
    const row = {
      tenantId, type: entry.type, actor: entry.actor ?? null, subject: entry.subject ?? null,
      clientId: entry.clientId ?? null, ip: entry.ip ?? null, userAgent: entry.userAgent?.slice(0, 512) ?? null,
      outcome: entry.outcome ?? 'success', data: JSON.parse(JSON.stringify(entry.data ?? {})) as object, createdAt: new Date().toISOString(), seq,
    };
    const hash = entryHash(previous, row);
    const linkedRow = { ...row, prevHash: previous, hash };
    previous = hash;
    return linkedRow;
  });
  return { rows, head: { seq, hash: previous } };
}

// the entries (in order: ids follow seq), as the statements below insert them from one jsonb array; createdAt is an
// ISO string in UTC, whose zone the cast to timestamp drops
const insertEntries = `INSERT INTO audit_events (tenant_id, type, actor, subject, client_id, ip, user_agent, outcome, data, created_at, seq, prev_hash, hash)
       SELECT $1::uuid, e->>'type', e->>'actor', e->>'subject', e->>'clientId', e->>'ip', e->>'userAgent', e->>'outcome', e->'data',
         (e->>'createdAt')::timestamp, (e->>'seq')::bigint, e->>'prevHash', e->>'hash'
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS entry(e, n)`;

/**
 * Appends entries of one tenant to its hash chain, in order, inside the caller's transaction: the head row is
 * locked, so appends of a tenant — from any process — are chained one batch at a time. Resolves to the new head.
 */
export async function appendChained(tx: Pick<Sql, 'query'>, tenantId: string, entries: AuditEntry[]): Promise<ChainHead> {
  // one statement creates the head (genesis) or locks and advances it: the same round trip either way
  const [head] = await tx.query<{ seq: string; hash: string }>(
    `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1::uuid, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq + $2 RETURNING seq::text AS seq, hash`,
    [tenantId, entries.length, genesisHash(tenantId)],
  );
  const chained = linked(tenantId, entries, { seq: Number(head!.seq) - entries.length, hash: head!.hash });
  // the entries and the head's new hash in one statement
  await tx.query(
    `WITH entries AS (${insertEntries} ORDER BY entry.n)
     UPDATE audit_heads SET hash = $3 WHERE tenant_id = $1::uuid`,
    [tenantId, JSON.stringify(chained.rows), chained.head.hash],
  );
  return chained.head;
}

/**
 * Appends entries after `head` in one statement, without a transaction of its own: a compare-and-set on the head row
 * (its seq and hash must still be `head`'s), and the entries only if it held — both or neither. Another process's
 * append, or a prune, moves the head: then nothing is written and the answer is null. The new head otherwise.
 */
export async function appendAfter(sql: Pick<Sql, 'query'>, tenantId: string, entries: AuditEntry[], head: ChainHead): Promise<ChainHead | null> {
  const chained = linked(tenantId, entries, head);
  const [moved] = await sql.query<{ n: string }>(
    `WITH head AS (
       UPDATE audit_heads SET seq = $5, hash = $6 WHERE tenant_id = $1::uuid AND seq = $3 AND hash = $4 RETURNING 1
     ), entries AS (${insertEntries} WHERE EXISTS (SELECT 1 FROM head) ORDER BY entry.n)
     SELECT count(*)::text AS n FROM head`,
    [tenantId, JSON.stringify(chained.rows), head.seq, head.hash, chained.head.seq, chained.head.hash],
  );
  return moved?.n === '1' ? chained.head : null;
}

/** where the tenant's remaining chain starts: the last pruned entry, or before the first entry */
export async function anchorOf(prisma: PrismaClient | Tx, tenantId: string): Promise<{ seq: number; hash: string }> {
  const head = await prisma.auditHead.findUnique({ where: { tenantId } });
  return head && head.anchorHash ? { seq: Number(head.anchorSeq), hash: head.anchorHash } : { seq: 0, hash: genesisHash(tenantId) };
}

async function walk(prisma: PrismaClient, tenantId: string, anchor: { seq: number; hash: string }): Promise<ChainReport> {
  const unchained = await prisma.auditEvent.count({ where: { tenantId, seq: null } });
  const anchored = anchor.seq ? { seq: anchor.seq, hash: anchor.hash } : null;
  let previous = anchor.hash;
  let expected = anchor.seq + 1;
  let entries = 0;
  let lastPruned: Record<string, unknown> | null = null;
  for await (const event of chained(prisma, tenantId)) {
    const seq = Number(event.seq);
    const broken = (reason: string): ChainReport => ({ ok: false, entries, unchained, anchor: anchored, firstBroken: { seq, id: String(event.id), reason } });
    if (seq !== expected) return broken(seq > expected ? `entries ${expected}–${seq - 1} are missing` : 'sequence out of order');
    if (event.prevHash !== previous) return broken('does not link to the previous entry');
    if (event.hash !== entryHash(previous, fieldsOf(event))) return broken('its content does not match its hash');
    if (event.type === prunedType) lastPruned = event.data as Record<string, unknown>;
    previous = event.hash!;
    expected += 1;
    entries += 1;
  }
  // The anchor row could be moved by someone who can write the table: the `audit.pruned` entry that set it is in
  // the chain, so the anchor must be the one the latest such entry records.
  if (anchored && (lastPruned?.throughSeq !== anchor.seq || lastPruned?.anchorHash !== anchor.hash)) {
    return { ok: false, entries, unchained, anchor: anchored, firstBroken: { seq: anchor.seq, id: '', reason: 'the anchor is not the one the last audit.pruned entry records' } };
  }
  const head = await prisma.auditHead.findUnique({ where: { tenantId } });
  if (head && (Number(head.seq) !== anchor.seq + entries || head.hash !== previous)) {
    return { ok: false, entries, unchained, anchor: anchored, firstBroken: { seq: anchor.seq + entries + 1, id: '', reason: `the chain ends at entry ${anchor.seq + entries} but ${Number(head.seq)} were written` } };
  }
  return { ok: true, entries, unchained, anchor: anchored, firstBroken: null };
}

/** the entry a prune appends to the chain, recording the anchor it set */
export const prunedType = 'audit.pruned';
