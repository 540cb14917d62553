// Audit retention (issue #15): the oldest entries of a tenant's chain are exported to JSON lines, flushed, and only
// then pruned; the chain is anchored at the last pruned entry (and an `audit.pruned` entry records the anchor), so
// `audit verify` still holds, the export file chains to the anchor, and tampering after a prune is still found —
// including a forged anchor. An export that cannot be written prunes nothing; appends during a prune lose nothing.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createTenant } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createAuditRepository } from '../../src/db/audit.repository.js';
import { createAuditPruneRepository } from '../../src/db/audit-prune.repository.js';
import { createAuditRetention } from '../../src/audit/audit-retention.js';
import { genesisHash } from '../../src/crypto/audit-chain.js';

interface Report { ok: boolean; entries: number; anchor: { seq: number; hash: string } | null; firstBroken: { seq: number; reason: string } | null }
interface Line { tenantId: string; seq: number; type: string; prevHash: string; hash: string; data: Record<string, unknown> }

describe('audit retention', () => {
  const server = useTessera();
  let db: Database;
  let dir: string;
  before(async () => {
    // a connection for each of the 21 transactions of the concurrent-prune test (20 writers and the prune): they queue
    // on the tenant's head row, and with the default pool of 10 the rest also waited for a connection, which Prisma
    // gives up on after 2 s — as it did once on a machine busy with other work
    db = await openDatabase({ kind: 'postgres', url: server.env.DATABASE_URL! }, { poolMax: 24 });
    dir = await mkdtemp(join(tmpdir(), 'tessera-audit-'));
  });
  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sql = <T = unknown>(text: string, params: unknown[] = []) => query<T>(server.env.DATABASE_URL!, text, params);
  const append = (tenantId: string, count: number, from = 0) =>
    createAuditRepository(db.prisma, db.sql).appendBatch(tenantId, Array.from({ length: count }, (_, i) => ({ tenantId, type: 'login.succeeded', subject: `user-${from + i}`, data: { n: from + i } })));
  const retention = (settings?: { days: number; exportDir: string }, now?: () => number) =>
    createAuditRetention({ repository: createAuditPruneRepository(db.prisma), logger: pino({ level: 'silent' }), settings, now });

  /** a tenant with `old` entries, then a moment (the cut), then `recent` entries */
  async function tenantWithHistory(old = 10, recent = 5) {
    const { slug } = await createTenant(server);
    const [{ id }] = await sql<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
    await append(id!, old);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cut = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await append(id!, recent, old);
    return { slug, tenantId: id!, cut };
  }

  async function cli(argv: string[]) {
    const result = await server.cli(argv);
    return { code: result.code, out: result.code === 0 ? JSON.parse(result.stdout) as Record<string, unknown> : null, result };
  }
  async function verify(slug: string, exportFile?: string) {
    const result = await server.cli(['audit', 'verify', '--tenant', slug, ...(exportFile ? ['--export', exportFile] : [])]);
    return { code: result.code, report: JSON.parse(result.stdout) as Report & Record<string, unknown> };
  }
  const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Line);
  async function behindTheTrigger(statement: string, params: unknown[]) {
    await sql('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      await sql(statement, params);
    } finally {
      await sql('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
  }

  let pruned: Awaited<ReturnType<typeof tenantWithHistory>> & { file: string };
  before(async () => {
    pruned = { ...(await tenantWithHistory()), file: join(dir, 'first.jsonl') };
  });

  it('prunes the entries before the cut into the export file, and verify still holds from the anchor', async () => {
    const { code, out } = await cli(['audit', 'prune', '--tenant', pruned.slug, '--before', pruned.cut.toISOString(), '--export', pruned.file]);
    assert.equal(code, 0);
    assert.deepEqual({ pruned: out!.pruned, fromSeq: out!.fromSeq, throughSeq: out!.throughSeq }, { pruned: 10, fromSeq: 1, throughSeq: 10 });
    const rows = await sql<{ seq: string; type: string; prev_hash: string }>('SELECT seq, type, prev_hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [pruned.tenantId]);
    assert.deepEqual(rows.map((r) => Number(r.seq)), [11, 12, 13, 14, 15, 16]);
    assert.equal(rows.at(-1)!.type, 'audit.pruned');

    const { code: verified, report } = await verify(pruned.slug);
    assert.equal(verified, 0, JSON.stringify(report));
    assert.deepEqual({ ok: report.ok, entries: report.entries, anchor: report.anchor?.seq }, { ok: true, entries: 6, anchor: 10 });
    assert.equal(report.anchor!.hash, out!.anchorHash);
    assert.equal(rows[0]!.prev_hash, report.anchor!.hash, 'the first remaining entry links to the anchor');
  });

  it("the export file's hashes chain from the genesis to the anchor, and verify --export says so", async () => {
    const exported = await lines(pruned.file);
    assert.deepEqual(exported.map((l) => l.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(exported[0]!.prevHash, genesisHash(pruned.tenantId));
    for (let i = 1; i < exported.length; i++) assert.equal(exported[i]!.prevHash, exported[i - 1]!.hash);
    const [record] = await sql<{ data: Record<string, unknown> }>("SELECT data FROM audit_events WHERE tenant_id = $1 AND type = 'audit.pruned'", [pruned.tenantId]);
    assert.equal(record!.data.anchorHash, exported.at(-1)!.hash);
    assert.equal(record!.data.export, 'first.jsonl');

    const { code, report } = await verify(pruned.slug, pruned.file);
    assert.equal(code, 0, JSON.stringify(report));
    assert.deepEqual({ ok: report.ok, entries: report.entries, anchoredBy: report.anchoredBy }, { ok: true, entries: 10, anchoredBy: 'the audit.pruned entry 16' });

    const edited = join(dir, 'edited.jsonl');
    await writeFile(edited, (await readFile(pruned.file, 'utf8')).replace('"n":4', '"n":40'));
    const forged = await verify(pruned.slug, edited);
    assert.equal(forged.code, 1);
    assert.match(JSON.stringify(forged.report.firstBroken), /its content does not match its hash/);
  });

  it('a second prune continues from the anchor, and its export chains to the first', async () => {
    const file = join(dir, 'second.jsonl');
    await append(pruned.tenantId, 3, 100);
    const { code, out } = await cli(['audit', 'prune', '--tenant', pruned.slug, '--before', new Date().toISOString(), '--export', file]);
    assert.equal(code, 0);
    assert.deepEqual([out!.fromSeq, out!.throughSeq], [11, 19]);
    const exported = await lines(file);
    assert.equal(exported[0]!.prevHash, (await lines(pruned.file)).at(-1)!.hash);
    assert.equal((await verify(pruned.slug, file)).code, 0);
    const { code: verified, report } = await verify(pruned.slug);
    assert.equal(verified, 0, JSON.stringify(report));
    assert.deepEqual([report.entries, report.anchor?.seq], [1, 19]);
  });

  it('tampering with a remaining entry after a prune is found', async () => {
    const target = await tenantWithHistory(6, 4);
    assert.equal((await cli(['audit', 'prune', '--tenant', target.slug, '--before', target.cut.toISOString(), '--export', join(dir, 'tamper.jsonl')])).code, 0);
    await behindTheTrigger(`UPDATE audit_events SET data = '{"n":99}' WHERE tenant_id = $1 AND seq = 8`, [target.tenantId]);
    const { code, report } = await verify(target.slug);
    assert.equal(code, 1);
    assert.deepEqual(report.firstBroken && { seq: report.firstBroken.seq, reason: report.firstBroken.reason }, { seq: 8, reason: 'its content does not match its hash' });
  });

  it('an anchor moved forward to delete entries (the trigger lets entries behind it go) is found', async () => {
    const target = await tenantWithHistory(4, 4);
    assert.equal((await cli(['audit', 'prune', '--tenant', target.slug, '--before', target.cut.toISOString(), '--export', join(dir, 'moved.jsonl')])).code, 0);
    // someone who can write audit_heads (not the trigger) moves the anchor to entry 6, then deletes 5 and 6
    const [six] = await sql<{ hash: string }>('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 6', [target.tenantId]);
    await sql('UPDATE audit_heads SET anchor_seq = 6, anchor_hash = $2 WHERE tenant_id = $1', [target.tenantId, six!.hash]);
    await sql('DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= 6', [target.tenantId]);
    const { code, report } = await verify(target.slug);
    assert.equal(code, 1);
    assert.match(report.firstBroken!.reason, /the anchor is not the one the last audit.pruned entry records/);
  });

  it('an export that cannot be written prunes nothing; neither does a broken chain, nor an existing file', async () => {
    const target = await tenantWithHistory(5, 2);
    const before = await sql<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1', [target.tenantId]);
    const prune = (file: string) => server.cli(['audit', 'prune', '--tenant', target.slug, '--before', target.cut.toISOString(), '--export', file]);

    const unwritable = await prune(join(dir, 'no-such-directory', 'x.jsonl'));
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /x\.jsonl could not be written \(ENOENT\); nothing was pruned/);
    const existing = join(dir, 'existing.jsonl');
    await writeFile(existing, 'keep me\n');
    const taken = await prune(existing);
    assert.match(taken.stderr, /existing\.jsonl could not be written \(EEXIST\); nothing was pruned/);
    assert.equal(await readFile(existing, 'utf8'), 'keep me\n', 'an export never overwrites a file');

    await behindTheTrigger(`UPDATE audit_events SET outcome = 'failure' WHERE tenant_id = $1 AND seq = 3`, [target.tenantId]);
    const broken = await prune(join(dir, 'broken.jsonl'));
    assert.match(broken.stderr, /Entry 3: its content does not match its hash; nothing was pruned/);
    assert.ok(!(await readdir(dir)).includes('broken.jsonl'), 'the partial export is removed');

    assert.deepEqual(await sql('SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1', [target.tenantId]), before);
    const [head] = await sql<{ anchor_seq: string }>('SELECT anchor_seq FROM audit_heads WHERE tenant_id = $1', [target.tenantId]);
    assert.equal(Number(head!.anchor_seq), 0);
  });

  it('appends during a prune are all kept, chained after the audit.pruned entry', async () => {
    const target = await tenantWithHistory(300, 0);
    const file = join(dir, 'concurrent.jsonl');
    const writers = Array.from({ length: 20 }, (_, w) => append(target.tenantId, 10, 1000 + w * 10));
    const [result] = await Promise.all([retention().prune(target.tenantId, { before: target.cut, file, actor: 'test' }), ...writers]);
    assert.equal(result.pruned, 300);
    const exported = await lines(file);
    const kept = await sql<{ data: { n?: number }; type: string }>('SELECT data, type FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [target.tenantId]);
    const numbers = [...exported.map((l) => l.data.n), ...kept.filter((k) => k.type !== 'audit.pruned').map((k) => k.data.n)].sort((a, b) => Number(a) - Number(b));
    const expected = [...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 200 }, (_, i) => 1000 + i)];
    assert.deepEqual(numbers, expected, 'every entry is either in the export or still in the chain');
    const { code, report } = await verify(target.slug);
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.entries, 201);
  });

  it('the periodic job prunes what is past AUDIT_RETENTION_DAYS into AUDIT_EXPORT_DIR', async () => {
    const target = await tenantWithHistory(4, 0);
    const exportDir = await mkdtemp(join(dir, 'job-'));
    const later = () => Date.now() + 2 * 86_400_000;
    const count = await retention({ days: 1, exportDir }, later).applyRetention();
    assert.ok(count >= 4);
    const file = (await readdir(exportDir)).find((name) => name.startsWith(`audit-${target.tenantId}-1-4-`));
    assert.ok(file, 'the export is named for the tenant and the range');
    assert.equal((await verify(target.slug)).code, 0);
    assert.equal((await verify(target.slug, join(exportDir, file))).code, 0);
    assert.equal(await retention({ days: 1, exportDir }).applyRetention(), 0, 'nothing is a day old yet');
  });
});
