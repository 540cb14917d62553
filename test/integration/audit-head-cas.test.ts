// The audit chain's append after a head this process wrote: one compare-and-set statement instead of a locked
// transaction (docs/benchmarks.md), and still one unbroken chain when another process appends to the same tenant in
// between or at the same time (two pools on one database, as two processes). Real PostgreSQL, the repository the
// server uses; each Sql is counted as it is called, nothing else changed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { openDatabase, type Database, type Sql } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createAuditRepository } from '../../src/db/audit.repository.js';

/** the Sql as is, with how many statements and transactions went through it */
function counted(sql: Sql) {
  const calls = { statements: 0, transactions: 0 };
  const wrapped: Sql = {
    query: (text, values) => { calls.statements += 1; return sql.query(text, values); },
    transaction: (work) => { calls.transactions += 1; return sql.transaction(work); },
  };
  return { calls, sql: wrapped };
}

describe('audit chain appends after the head a process wrote', () => {
  let services: TestServices;
  let one: Database;
  let two: Database;

  before(async () => {
    services = await createTestServices();
    one = await openDatabase({ kind: 'postgres', url: services.databaseUrl });
    two = await openDatabase({ kind: 'postgres', url: services.databaseUrl });
    await migrate(one);
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await services?.drop();
  });

  async function tenant(): Promise<string> {
    const id = randomUUID();
    await one.prisma.$executeRawUnsafe(`INSERT INTO tenants (id, slug, name, updated_at) VALUES ($1::uuid, $2, 'Chain', now())`, id, `chain-${id.slice(0, 8)}`);
    return id;
  }
  const entries = (n: number, writer: string) => Array.from({ length: n }, (_, i) => ({ tenantId: '', type: 'token.refreshed', data: { writer, i } }));

  it('the first append locks the head in a transaction; the next ones are one statement each, and the chain holds', async () => {
    const tenantId = await tenant();
    const { calls, sql } = counted(one.sql);
    const repository = createAuditRepository(one.prisma, sql);
    await repository.appendBatch(tenantId, entries(2, 'one'));
    assert.deepEqual(calls, { statements: 0, transactions: 1 });
    for (let batch = 0; batch < 5; batch++) await repository.appendBatch(tenantId, entries(3, 'one'));
    assert.deepEqual(calls, { statements: 5, transactions: 1 });
    const report = await repository.verify(tenantId);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.entries, 17);
  });

  it('a head moved by another process is not overwritten: nothing is written by the stale compare-and-set, and the locked append follows', async () => {
    const tenantId = await tenant();
    const first = counted(one.sql);
    const second = counted(two.sql);
    const a = createAuditRepository(one.prisma, first.sql);
    const b = createAuditRepository(two.prisma, second.sql);
    await a.appendBatch(tenantId, entries(2, 'a'));
    await b.appendBatch(tenantId, entries(1, 'b'));
    // a still holds the head after its own two entries; b's entry moved it
    await a.appendBatch(tenantId, entries(2, 'a'));
    assert.deepEqual(first.calls, { statements: 1, transactions: 2 });
    const rows = await one.prisma.$queryRawUnsafe<{ seq: bigint; writer: string }[]>(
      `SELECT seq, data->>'writer' AS writer FROM audit_events WHERE tenant_id = $1::uuid ORDER BY seq`, tenantId);
    assert.deepEqual(rows.map((r) => `${r.seq}:${r.writer}`), ['1:a', '2:a', '3:b', '4:a', '5:a']);
    const report = await a.verify(tenantId);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.entries, 5);
  });

  it('two processes appending to one tenant at once make one unbroken chain holding every entry', async () => {
    const tenantId = await tenant();
    const a = createAuditRepository(one.prisma, one.sql);
    const b = createAuditRepository(two.prisma, two.sql);
    // each writer appends its batches one after another (as the audit writer does per tenant), both writers at once
    const writer = async (repository: typeof a, name: string) => {
      for (let batch = 0; batch < 30; batch++) await repository.appendBatch(tenantId, entries(1 + (batch % 3), name));
    };
    await Promise.all([writer(a, 'a'), writer(b, 'b'), writer(a, 'a2'), writer(b, 'b2')]);
    const [{ count }] = await one.prisma.$queryRawUnsafe<{ count: bigint }[]>('SELECT count(*) AS count FROM audit_events WHERE tenant_id = $1::uuid', tenantId);
    assert.equal(Number(count), 4 * 60);
    const report = await b.verify(tenantId);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.entries, 4 * 60);
  });
});
