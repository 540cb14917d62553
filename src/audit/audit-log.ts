// Records authentication events for the audit log, each entry chained to its tenant's previous one (audit-chain.ts). Events name a subject by
// user id or by a keyed hash of the email/phone typed (so the log tells attempts on one identifier apart without
// holding it); codes, links, passwords and tokens are never part of an event.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEntry, AuditRepository } from '../db/audit.repository.js';
import type { ChainReport } from '../crypto/audit-chain.js';

export type AuditEvent = AuditEntry;

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** walks the tenant's hash chain; reports the first broken link */
  verify(tenantId: string): Promise<ChainReport>;
  /** every entry of the tenant, oldest first */
  export(tenantId: string): AsyncGenerator<Record<string, unknown>>;
  /**
   * resolves when every entry recorded so far is written (shutdown); past `deadlineMs` (default 20 s) the entries
   * still unwritten are logged in full at fatal level instead
   */
  settle(deadlineMs?: number): Promise<void>;
  /** a stable pseudonym for an identifier (email, phone) within a tenant */
  pseudonym(tenantId: string, identifier: string): string;
}

/** at most this many entries per chained write */
const BATCH = 200;
/** at most this many chained writes at once, across tenants: 1,000 busy tenants must not take every connection */
const CONCURRENT_WRITES = 3;
/**
 * A busy tenant's next write waits this long after the last one, so entries arriving meanwhile go out together: a
 * chained write costs PostgreSQL ≈0.8 ms of CPU whether it holds one entry or eight (measured with pgbench), and a
 * stream of refreshes, each recording an entry, would otherwise write one or two at a time. An idle tenant's entry
 * is written at once.
 */
const BUSY_LINGER_MS = 10;
/** a failed write is retried after 100 ms, doubling up to this */
const MAX_RETRY_DELAY_MS = 5_000;

type Pending = { event: AuditEvent; done(): void };

export function createAuditLog(deps: { repository: AuditRepository; secret: string; logger: Logger; observe?: (event: AuditEvent) => void; retryDelayMs?: number }): AuditLog {
  // Entries wait per tenant and are chained in batches: one locked write for many events, so a busy token
  // endpoint is not serialised on the chain's head one entry at a time. An entry is never dropped: a write that
  // fails (no connection within the pool's wait, the database restarting) is retried, the batch first, until it
  // succeeds. record() resolves only once its entry is written — callers that await it are the back-pressure.
  const queues = new Map<string, { pending: Pending[]; running: boolean }>();
  const draining = new Set<Promise<void>>();
  const firstDelay = deps.retryDelayMs ?? 100;
  let writing = 0;
  const waitingForSlot: Array<() => void> = [];
  let stopping = false;

  async function slot(): Promise<void> {
    if (writing < CONCURRENT_WRITES) {
      writing += 1;
      return;
    }
    await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  }
  function release(): void {
    const next = waitingForSlot.shift();
    if (next) next();
    else writing -= 1;
  }

  async function write(tenantId: string, batch: Pending[]): Promise<void> {
    for (let attempt = 1, delay = firstDelay; ; attempt++, delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      await slot();
      try {
        await deps.repository.appendBatch(tenantId, batch.map((b) => b.event));
        return;
      } catch (err) {
        // An audit write must not turn a sign-in into a 500, nor be lost: logged loudly and tried again.
        deps.logger.error({ err: (err as Error).message, attempt, entries: batch.length, types: [...new Set(batch.map((b) => b.event.type))], tenantId }, 'audit write failed; retrying');
        if (stopping) throw err;
      } finally {
        release();
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async function drain(tenantId: string, queue: { pending: Pending[]; running: boolean }) {
    queue.running = true;
    try {
      while (queue.pending.length) {
        const batch = queue.pending.slice(0, BATCH);
        await write(tenantId, batch);
        queue.pending.splice(0, batch.length);
        for (const b of batch) b.done();
        if (queue.pending.length && queue.pending.length < BATCH && !stopping) await new Promise((resolve) => setTimeout(resolve, BUSY_LINGER_MS));
      }
    } finally {
      queue.running = false;
      if (!queue.pending.length) queues.delete(tenantId);
    }
  }

  function start(tenantId: string, queue: { pending: Pending[]; running: boolean }) {
    queue.running = true;
    // the first write waits for the rest of this tick: events recorded together (a burst, a request that records
    // several) go out as one chained batch instead of one write for the first and another for the rest
    const run = Promise.resolve().then(() => drain(tenantId, queue))
      .catch(() => undefined)
      .finally(() => draining.delete(run));
    draining.add(run);
  }

  return {
    record(event) {
      deps.observe?.(event);
      return new Promise<void>((done) => {
        let queue = queues.get(event.tenantId);
        if (!queue) queues.set(event.tenantId, (queue = { pending: [], running: false }));
        queue.pending.push({ event, done });
        if (!queue.running) start(event.tenantId, queue);
      });
    },
    async settle(deadlineMs = 20_000) {
      const deadline = Date.now() + deadlineMs;
      while (draining.size && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...draining]), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
      }
      if (!draining.size) return;
      // Shutting down with the database still failing: the entries go to the log in full (they hold no secrets:
      // identifiers are pseudonyms), at fatal level, so they are not lost silently and can be replayed.
      stopping = true;
      const unwritten = [...queues.values()].flatMap((q) => q.pending.map((p) => p.event));
      deps.logger.fatal({ unwritten, count: unwritten.length }, 'audit entries could not be written before shutdown');
    },
    verify: (tenantId) => deps.repository.verify(tenantId),
    export: (tenantId) => deps.repository.export(tenantId),
    pseudonym(tenantId, identifier) {
      return `id:${createHmac('sha256', deps.secret).update(`${tenantId}\n${identifier}`).digest('base64url').slice(0, 22)}`;
    },
  };
}
