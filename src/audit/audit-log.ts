// Records authentication events for the audit log, each entry chained to its tenant's previous one (audit-chain.ts). Events name a subject by
// user id or by a keyed hash of the email/phone typed (so the log tells attempts on one identifier apart without
// holding it); codes, links, passwords and tokens are never part of an event.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEntry, AuditRepository } from '../db/audit.repository.js';
import type { ChainReport } from './audit-chain.js';

export type AuditEvent = AuditEntry;

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** walks the tenant's hash chain; reports the first broken link */
  verify(tenantId: string): Promise<ChainReport>;
  /** every entry of the tenant, oldest first */
  export(tenantId: string): AsyncGenerator<Record<string, unknown>>;
  /** resolves when every entry recorded so far is written (shutdown) */
  settle(): Promise<void>;
  /** a stable pseudonym for an identifier (email, phone) within a tenant */
  pseudonym(tenantId: string, identifier: string): string;
}

/** at most this many entries per chained write */
const BATCH = 200;

/** @param deps.observe sees every event as it is recorded (metrics); must not throw */
export function createAuditLog(deps: { repository: AuditRepository; secret: string; logger: Logger; observe?: (event: AuditEvent) => void }): AuditLog {
  // Entries wait per tenant and are chained in batches: one locked write for many events, so a busy token
  // endpoint is not serialised on the chain's head one entry at a time.
  const queues = new Map<string, { pending: Array<{ event: AuditEvent; done(): void }>; running: boolean }>();
  const draining = new Set<Promise<void>>();

  async function drain(tenantId: string, queue: { pending: Array<{ event: AuditEvent; done(): void }>; running: boolean }) {
    queue.running = true;
    try {
      while (queue.pending.length) {
        const batch = queue.pending.splice(0, BATCH);
        try {
          await deps.repository.appendBatch(tenantId, batch.map((b) => b.event));
        } catch (err) {
          // An audit write must not turn a sign-in into a 500; it is logged loudly instead.
          deps.logger.error({ err: (err as Error).message, types: [...new Set(batch.map((b) => b.event.type))], tenantId }, 'audit write failed');
        }
        for (const b of batch) b.done();
      }
    } finally {
      queue.running = false;
      if (!queue.pending.length) queues.delete(tenantId);
    }
  }

  return {
    record(event) {
      deps.observe?.(event);
      return new Promise<void>((done) => {
        let queue = queues.get(event.tenantId);
        if (!queue) queues.set(event.tenantId, (queue = { pending: [], running: false }));
        queue.pending.push({ event, done });
        if (!queue.running) {
          const run = drain(event.tenantId, queue).finally(() => draining.delete(run));
          draining.add(run);
        }
      });
    },
    async settle() {
      while (draining.size) await Promise.allSettled([...draining]);
    },
    verify: (tenantId) => deps.repository.verify(tenantId),
    export: (tenantId) => deps.repository.export(tenantId),
    pseudonym(tenantId, identifier) {
      return `id:${createHmac('sha256', deps.secret).update(`${tenantId}\n${identifier}`).digest('base64url').slice(0, 22)}`;
    },
  };
}
