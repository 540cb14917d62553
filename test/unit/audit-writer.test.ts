// The audit writer never drops an entry: a write that fails (no connection, database restarting) is retried until
// it succeeds, in order per tenant, and record() resolves only once its entry is written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createAuditLog } from '../../src/audit/audit-log.js';
import type { AuditEntry, AuditRepository } from '../../src/db/audit.repository.js';

const silent = pino({ level: 'silent' });

/** a repository that fails its first `failures` writes, then keeps what it is given */
function flakyRepository(failures: number) {
  const written = new Map<string, string[]>();
  let calls = 0;
  const repository = {
    async appendBatch(tenantId: string, entries: AuditEntry[]) {
      calls += 1;
      const failing = calls <= failures;
      await new Promise((resolve) => setImmediate(resolve));
      if (failing) throw new Error('timed out fetching a new connection from the connection pool');
      written.set(tenantId, [...(written.get(tenantId) ?? []), ...entries.map((e) => e.type)]);
    },
  } as unknown as AuditRepository;
  return { repository, written, calls: () => calls };
}

describe('audit writer', () => {
  it('retries failed writes until every entry is written, in order per tenant', async () => {
    const { repository, written, calls } = flakyRepository(25);
    const audit = createAuditLog({ repository, secret: 's', logger: silent, retryDelayMs: 1 });
    const tenants = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
    await Promise.all(tenants.flatMap((tenantId) => Array.from({ length: 7 }, (_, n) => audit.record({ tenantId, type: `event.${n}` }))));
    assert.ok(calls() > 25, 'the failures happened');
    for (const tenantId of tenants) assert.deepEqual(written.get(tenantId), ['event.0', 'event.1', 'event.2', 'event.3', 'event.4', 'event.5', 'event.6'], tenantId);
  });

  it('writes no more than a few batches at once, however many tenants are busy', async () => {
    let running = 0;
    let most = 0;
    const repository = {
      async appendBatch() {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running -= 1;
      },
    } as unknown as AuditRepository;
    const audit = createAuditLog({ repository, secret: 's', logger: silent });
    await Promise.all(Array.from({ length: 200 }, (_, i) => audit.record({ tenantId: `t-${i}`, type: 'x.happened' })));
    assert.ok(most <= 3, `at most 3 writes at once, saw ${most}`);
  });

  it('on shutdown with the database still down, logs every unwritten entry at fatal level instead of losing it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
    const { repository } = flakyRepository(Infinity);
    const audit = createAuditLog({ repository, secret: 's', logger, retryDelayMs: 1 });
    void audit.record({ tenantId: 't', type: 'login.succeeded', data: { method: 'password' } });
    void audit.record({ tenantId: 't', type: 'login.failed' });
    await audit.settle(50);
    const fatal = lines.find((l) => l.level === 60);
    assert.ok(fatal, 'a fatal line');
    assert.deepEqual((fatal.unwritten as AuditEntry[]).map((e) => e.type), ['login.succeeded', 'login.failed']);
  });
});
