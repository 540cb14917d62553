// A tenant's audit log: search, chain verification, export as JSON lines.
import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';
import { defineOperation, type Streamed } from '../operation.js';
import { decodeCursor, encodeCursor, pageQuery } from '../../validation/pagination.js';
import { boundedBigint, isoInstant } from '../../validation/input-rules.js';

const filter = z.string().min(1).max(200).optional();
const auditQuery = pageQuery.extend({
  type: filter,
  subject: filter,
  actor: filter,
  from: isoInstant.optional(),
  to: isoInstant.optional(),
}).strict();

function beforeId(cursor: string | undefined): bigint | undefined {
  if (cursor === undefined) return undefined;
  const id = boundedBigint(decodeCursor(cursor));
  if (id === null) throw new AppError('request.invalid', 'cursor: not a cursor this API handed out.');
  return id;
}

export const auditOperations = [
  defineOperation({
    id: 'listAudit', method: 'get', path: '/tenants/{slug}/audit', scope: 'audit:read', tag: 'audit',
    summary: 'Entries of the tenant\'s audit log, newest first, filtered by type (or a prefix ending in ".", e.g. admin.), subject, actor and time (from inclusive, to exclusive)',
    query: auditQuery,
    async handle({ services, tenant, query }) {
      const { rows, next } = await services.auditSearch.search(tenant.id, {
        type: query.type, subject: query.subject, actor: query.actor, limit: query.limit, before: beforeId(query.cursor),
        from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined,
      });
      const items = rows.map(({ id, seq, ...entry }) => ({ id: String(id), seq: seq === null ? null : Number(seq), ...entry }));
      return { items, next_cursor: next === null ? null : encodeCursor(String(next)) };
    },
  }),
  defineOperation({
    id: 'verifyAudit', method: 'get', path: '/tenants/{slug}/audit/verify', scope: 'audit:read', tag: 'audit',
    summary: 'Walks the tenant\'s hash chain (from its anchor, the last pruned entry, when entries were pruned) and reports the first broken link',
    async handle({ services, tenant }) {
      const report = await services.audit.verify(tenant.id);
      return { ok: report.ok, checked: report.entries, unchained: report.unchained, ...(report.anchor ? { anchor: report.anchor } : {}), ...(report.firstBroken ? { firstBroken: report.firstBroken } : {}) };
    },
  }),
  defineOperation({
    id: 'exportAudit', method: 'get', path: '/tenants/{slug}/audit/export', scope: 'audit:read', tag: 'audit',
    summary: 'Every entry, oldest first, as JSON lines', produces: 'application/x-ndjson',
    async handle({ services, tenant }): Promise<Streamed> {
      const entries = services.audit.export(tenant.id);
      return {
        contentType: 'application/x-ndjson',
        stream: (async function* lines() {
          for await (const entry of entries) yield `${JSON.stringify(entry)}\n`;
        })(),
      };
    },
  }),
];
