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
  /** the first entry whose link does not hold, and why */
  firstBroken: { seq: number; id: string; reason: string } | null;
}
