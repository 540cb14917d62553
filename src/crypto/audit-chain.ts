// The audit log's hash chain (issue #6): each entry of a tenant stores the hash of the tenant's previous entry and
// its own hash over that and its canonical content, so changing, removing or reordering any entry breaks every
// later link. Canonical JSON (keys sorted at every level) makes the hash independent of how PostgreSQL's jsonb
// happens to order keys when the entry is read back.
import { createHash } from 'node:crypto';

export interface ChainedFields {
  tenantId: string;
  seq: number;
  type: string;
  actor: string | null;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: string;
  data: unknown;
  /** ISO 8601 with milliseconds, as stored */
  createdAt: string;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** the value a tenant's first entry links to */
export function genesisHash(tenantId: string): string {
  return createHash('sha256').update(`tessera audit chain\n${tenantId}`).digest('hex');
}

export function entryHash(prevHash: string, fields: ChainedFields): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalJson(fields)}`).digest('hex');
}

export interface ChainReport {
  ok: boolean;
  /** chained entries checked */
  entries: number;
  /** entries written before the chain existed (not covered) */
  unchained: number;
  /** the last pruned entry the walk started from (retention), null when nothing was pruned */
  anchor: { seq: number; hash: string } | null;
  /** the first entry whose link does not hold, and why */
  firstBroken: { seq: number; id: string; reason: string } | null;
}

/** an entry as exported (audit export, retention files): its chained fields, its link and its hash */
export type ExportedEntry = ChainedFields & { prevHash: string; hash: string };

/**
 * Checks exported entries one at a time as they stream past: each must be the next after `start` (seq and hash),
 * link to the one before and match its own hash. `next` answers null when the entry holds, else why not.
 */
export function chainChecker(tenantId: string, start: { seq: number; hash: string }) {
  let expected = start.seq + 1;
  let previous = start.hash;
  return {
    next(entry: ExportedEntry): string | null {
      if (entry.tenantId !== tenantId) return 'belongs to another tenant';
      if (entry.seq !== expected) return entry.seq > expected ? `entries ${expected}–${entry.seq - 1} are missing` : 'sequence out of order';
      if (entry.prevHash !== previous) return 'does not link to the previous entry';
      const { tenantId: t, seq, type, actor, subject, clientId, ip, userAgent, outcome, data, createdAt } = entry;
      if (entry.hash !== entryHash(previous, { tenantId: t, seq, type, actor, subject, clientId, ip, userAgent, outcome, data, createdAt })) return 'its content does not match its hash';
      previous = entry.hash;
      expected += 1;
      return null;
    },
    /** the last entry that held (the start before any) */
    last: () => ({ seq: expected - 1, hash: previous }),
  };
}
