// The plain-SQL statements of a token request (src/db/oidc-models.repository.ts, users.repository.ts and
// session-activity.repository.ts), on PostgreSQL (named prepared statements), through PgBouncer (unnamed) and on
// embedded PGlite: a rotation's consume and successor are written together or not at all, a refresh token comes
// with its live grant, and `timestamp(3)` columns read and written here agree with Prisma's UTC whatever the
// process's time zone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database, type Sql } from '../../src/db/database.js';
import { createOidcModelsRepository } from '../../src/db/oidc-models.repository.js';
import { createSessionActivityRepository } from '../../src/db/session-activity.repository.js';
import { createUsersRepository } from '../../src/db/users.repository.js';
import { startPgBouncer } from '../support/pgbouncer.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { inFarZone, onEmbeddedPglite, onPostgres, type OpenDatabase } from '../support/sql-databases.js';


function suite(name: string, open: OpenDatabase) {
  describe(name, () => {
    let db: Database;
    let tenantId: string;
    const key = (model: string, id: string) => ({ tenantId, model, id });
    const row = (payload: object, extra: { grantId?: string; expiresAt?: Date | null } = {}) => ({ payload, expiresAt: extra.expiresAt ?? new Date(Date.now() + 60_000), grantId: extra.grantId });

    inFarZone(open, 'sql', (opened, tenant) => { db = opened; tenantId = tenant; });

    it('writes a rotation whole: the first consumeAndUpsert consumes and inserts, a second one writes nothing', async () => {
      const models = createOidcModelsRepository(db.prisma, db.sql);
      await models.upsert(key('RefreshToken', 'old'), row({ grantId: 'g1' }, { grantId: 'g1' }));
      assert.equal(await models.consumeAndUpsert(key('RefreshToken', 'old'), key('RefreshToken', 'next'), row({ rotations: 1 }, { grantId: 'g1' })), true);
      assert.equal(await models.consumeAndUpsert(key('RefreshToken', 'old'), key('RefreshToken', 'fork'), row({ rotations: 1 }, { grantId: 'g1' })), false);
      const old = await models.find(key('RefreshToken', 'old'));
      assert.ok(old?.consumedAt, 'the old token is consumed');
      assert.ok(Math.abs(old.consumedAt.getTime() - Date.now()) < 60_000, `consumed now, not half a day off: ${old.consumedAt.toISOString()}`);
      assert.deepEqual((await models.find(key('RefreshToken', 'next')))?.payload, { rotations: 1 });
      assert.equal(await models.find(key('RefreshToken', 'fork')), null, 'the loser wrote no successor');
    });

    it('finds a refresh token with its live grant and its user in one call, and without them when they are gone', async () => {
      const models = createOidcModelsRepository(db.prisma, db.sql);
      const user = await db.prisma.user.create({ data: { tenantId, email: 'grace@example.com' } });
      await models.upsert(key('Grant', 'h-g2'), { payload: { accountId: user.id }, expiresAt: new Date(Date.now() + 60_000), grantId: 'g2' });
      await models.upsert(key('RefreshToken', 'rt2'), { ...row({ grantId: 'g2' }, { grantId: 'g2' }), accountId: user.id });
      const found = await models.findRefreshToken(key('RefreshToken', 'rt2'));
      assert.deepEqual(found?.grant?.payload, { accountId: user.id });
      assert.equal(found?.grant?.consumedAt, null);
      assert.deepEqual(found?.user, await createUsersRepository(db.prisma, db.sql).findById(tenantId, user.id), 'the user as findById reads it');

      await models.upsert(key('RefreshToken', 'rt-stranger'), { ...row({}, { grantId: 'g2' }), accountId: 'not-a-uuid' });
      assert.equal((await models.findRefreshToken(key('RefreshToken', 'rt-stranger')))?.user, null, 'an account id that is no user');
      await models.upsert(key('Grant', 'h-g2'), { payload: { accountId: 'a' }, expiresAt: new Date(Date.now() - 1000), grantId: 'g2' });
      assert.equal((await models.findRefreshToken(key('RefreshToken', 'rt2')))?.grant, null, 'an expired grant is not found');
      await models.revokeByGrantId(tenantId, 'Grant', 'g2');
      assert.equal((await models.findRefreshToken(key('RefreshToken', 'rt2')))?.grant, null);
      assert.equal(await models.findRefreshToken(key('RefreshToken', 'missing')), null);
    });

    it('finds an environment\'s refresh token with its user from the parent tenant', async () => {
      const models = createOidcModelsRepository(db.prisma, db.sql);
      const parent = await db.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
      const environment = await db.prisma.tenant.create({ data: { slug: `${parent.slug}~sandbox`, name: 'SQL sandbox', parentId: tenantId, environment: 'sandbox' } });
      const user = await db.prisma.user.create({ data: { tenantId, email: 'env@example.com' } });
      const envKey = { tenantId: environment.id, model: 'RefreshToken', id: 'rt-env' };
      await models.upsert(envKey, { ...row({}), accountId: user.id });
      assert.equal((await models.findRefreshToken(envKey))?.user?.email, 'env@example.com');
    });

    it('keeps expiry in UTC: a row written to expire in a minute is live, one a minute past is not', async () => {
      const models = createOidcModelsRepository(db.prisma, db.sql);
      await models.upsert(key('Session', 'soon'), row({}, { expiresAt: new Date(Date.now() + 60_000) }));
      await models.upsert(key('Session', 'past'), row({}, { expiresAt: new Date(Date.now() - 60_000) }));
      assert.ok(await models.find(key('Session', 'soon')));
      assert.equal(await models.find(key('Session', 'past')), null);
      const stored = await db.prisma.oidcModel.findUnique({ where: { tenantId_model_id: key('Session', 'soon') } });
      assert.ok(Math.abs(stored!.expiresAt!.getTime() - (Date.now() + 60_000)) < 30_000, 'Prisma reads the same instant');
    });

    it('rotates many refresh tokens at once, each on whichever connection the pool lends', async () => {
      const models = createOidcModelsRepository(db.prisma, db.sql);
      const tokens = Array.from({ length: 12 }, (_, i) => `many-${i}`);
      await Promise.all(tokens.map((id) => models.upsert(key('RefreshToken', id), row({ grantId: 'g-many' }, { grantId: 'g-many' }))));
      const rotated = await Promise.all(tokens.map(async (id) => {
        const found = await models.findRefreshToken(key('RefreshToken', id));
        assert.ok(found, `${id} is found`);
        return models.consumeAndUpsert(key('RefreshToken', id), key('RefreshToken', `${id}-next`), row({ rotations: 1 }, { grantId: 'g-many' }));
      }));
      assert.deepEqual(rotated, tokens.map(() => true));
      assert.equal((await Promise.all(tokens.map((id) => models.find(key('RefreshToken', `${id}-next`))))).filter(Boolean).length, tokens.length);
    });

    it('reads a user written by Prisma, and marks a session used at most once a minute', async () => {
      const user = await db.prisma.user.create({ data: { tenantId, email: 'ada@example.com', profile: { name: 'Ada' } } });
      const users = createUsersRepository(db.prisma, db.sql);
      const byId = await users.findById(tenantId, user.id);
      assert.deepEqual(byId, { id: user.id, email: 'ada@example.com', emailVerified: false, phone: null, phoneVerified: false, passwordHash: null, profile: { name: 'Ada' }, disabled: false, updatedAt: user.updatedAt });
      assert.deepEqual(await users.findByEmail(tenantId, 'ada@example.com'), byId);
      assert.equal(await users.findById('not-a-tenant', user.id), null);

      const activity = createSessionActivityRepository(db.prisma, db.sql);
      assert.equal(await activity.touched(tenantId, 'no-such-session', 60_000), null, 'no description, nothing written');
      await activity.signedIn(tenantId, 'uid-1', { accountId: user.id, ip: null, userAgent: null, amr: ['pwd'] });
      const signedInAt = (await activity.forSessions(tenantId, ['uid-1']))[0]!.lastActiveAt;
      const soon = new Date(signedInAt.getTime() + 30_000);
      assert.equal((await activity.touched(tenantId, 'uid-1', 60_000, soon))?.getTime(), signedInAt.getTime(), 'inside the minute: the stored time, unchanged');
      const later = new Date(signedInAt.getTime() + 61_000);
      assert.equal((await activity.touched(tenantId, 'uid-1', 60_000, later))?.getTime(), later.getTime(), 'past the minute: written');
      assert.equal((await activity.forSessions(tenantId, ['uid-1']))[0]!.lastActiveAt.getTime(), later.getTime(), 'Prisma reads the same instant');
    });
  });
}

suite('on PostgreSQL', onPostgres);

// PgBouncer before 1.21 in transaction pooling hands each statement whichever server connection is free, where a
// statement another client prepared under the same name already exists: `pgbouncer=true` turns the names off.
suite('through PgBouncer in transaction pooling, with pgbouncer=true in the URL', async () => {
  const services: TestServices = await createTestServices();
  const bouncer = await startPgBouncer(services.databaseName, 'postgres');
  const db = await openDatabase({ kind: 'postgres', url: `${bouncer.url}?pgbouncer=true` }, { poolMax: 4 });
  return { db, drop: async () => { await bouncer.stop(); await services.drop(); } };
});

describe('named prepared statements on PostgreSQL', () => {
  const preparedHere = (db: Database) => db.sql.transaction(async (sql) => {
    await sql.query('SELECT $1::int AS one', [1]);
    return (await sql.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).map((r) => r.name);
  });

  it('prepares each statement under a name of its text, unless the URL says pgbouncer=true', async () => {
    const services = await createTestServices();
    const named = await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 1 });
    const unnamed = await openDatabase({ kind: 'postgres', url: `${services.databaseUrl}?pgbouncer=true` }, { poolMax: 1 });
    try {
      const names = await preparedHere(named);
      assert.equal(names.length, 2, `both statements are prepared: ${names.join(', ')}`);
      assert.ok(names.every((name) => /^tessera_[0-9a-f]{32}$/.test(name)));
      assert.deepEqual(await preparedHere(named), names, 'the same texts, the same names: prepared once per connection');
      assert.deepEqual(await preparedHere(unnamed), []);
    } finally {
      await named.close();
      await unnamed.close();
      await services.drop();
    }
  });
});

// A named statement's plan is made once per connection, and PostgreSQL may keep a generic one made when the table had
// no statistics yet (a fresh database, autovacuum not run or off). Whatever plan it keeps, a refresh's statements
// must go to their rows through the key, not scan every refresh token of the tenant: once they did, through the
// (tenant_id, model, uid) index (docs/benchmarks.md).
describe('a refresh\'s statements, planned generic on a table without statistics', () => {
  it('read the rows they are about, not the tenant\'s other refresh tokens', async () => {
    const services = await createTestServices();
    const db = await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 1 });
    const probe = new pg.Client({ connectionString: services.databaseUrl });
    try {
      const tenantId = (await db.prisma.tenant.create({ data: { slug: 'plans', name: 'Plans' } })).id;
      await db.sql.query(
        `INSERT INTO oidc_models (tenant_id, model, id, payload, expires_at, grant_id, account_id, uid, consumed_at)
         SELECT $1::uuid, 'RefreshToken', md5(i::text), '{}', now() + interval '1 day', 'g-' || (i % 4), 'a', md5('uid' || i), now()
         FROM generate_series(1, 500) i`, [tenantId]);
      const statements = new Map<string, readonly unknown[]>();
      const recording: Sql = { query: (text, values = []) => { statements.set(text, values); return db.sql.query(text, values); }, transaction: (work) => db.sql.transaction(work) };
      const models = createOidcModelsRepository(db.prisma, recording);
      const key = (model: string, id: string) => ({ tenantId, model, id });
      const row = { payload: { grantId: 'g-new' }, expiresAt: new Date(Date.now() + 60_000), grantId: 'g-new', accountId: 'a', uid: 'uid-new' };
      await models.upsert(key('Grant', 'g-new'), { ...row, uid: undefined });
      await models.upsert(key('RefreshToken', 'old'), row);
      assert.ok(await models.findRefreshToken(key('RefreshToken', 'old')));
      assert.equal(await models.consumeAndUpsert(key('RefreshToken', 'old'), key('RefreshToken', 'next'), { ...row, uid: 'uid-next' }), true);
      assert.equal(await models.consume(key('RefreshToken', 'next')), true);
      assert.ok(await models.find(key('RefreshToken', 'next')));
      assert.equal(await models.unconsume(key('RefreshToken', 'next')), true);
      assert.ok(await models.findByUid(tenantId, 'RefreshToken', 'uid-next'));
      await models.destroy(key('RefreshToken', 'next'));
      await models.revokeByGrantId(tenantId, 'RefreshToken', 'g-new');
      assert.equal(statements.size, 9, 'upsert, findRefreshToken, consumeAndUpsert, consume, find, unconsume, findByUid, destroy, revokeByGrantId');

      await probe.connect();
      await probe.query('SET plan_cache_mode = force_generic_plan');
      for (const [text, values] of statements) {
        await probe.query('BEGIN');
        await probe.query(`PREPARE probe AS ${text}`);
        const literals = values.map((v) => (v === null ? 'NULL' : probe.escapeLiteral(String(v)))).join(', ');
        const [{ 'QUERY PLAN': [plan] }] = (await probe.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE probe(${literals})`)).rows;
        await probe.query('ROLLBACK');
        await probe.query('DEALLOCATE probe');
        const nodes: Record<string, unknown>[] = [];
        const walk = (node: Record<string, unknown>) => { nodes.push(node); for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child); };
        walk(plan.Plan);
        const removed = nodes.reduce((sum, node) => sum + Number(node['Rows Removed by Filter'] ?? 0), 0);
        const scanned = nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'oidc_models');
        assert.ok(removed <= 2 && !scanned.length, `${text.slice(0, 60)}…: ${removed} rows read and dropped, ${scanned.length} sequential scans\n${JSON.stringify(plan.Plan)}`);
      }
    } finally {
      await probe.end();
      await db.close();
      await services.drop();
    }
  });
});

describe('a prepared statement whose result a migration changed while the process ran', () => {
  it('is prepared again on a fresh connection, in a query and in a transaction', async () => {
    const services = await createTestServices();
    const db = await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 2 });
    const read = 'SELECT * FROM plan_probe';
    try {
      await db.sql.query('CREATE TABLE plan_probe (a int)');
      await db.sql.query('INSERT INTO plan_probe VALUES (1)');
      // both connections of the pool prepare the read: one inside the transaction, the other beside it
      await db.sql.transaction(async (tx) => {
        assert.deepEqual(await tx.query(read), [{ a: 1 }]);
        assert.deepEqual(await db.sql.query(read), [{ a: 1 }]);
      });
      await db.sql.query('ALTER TABLE plan_probe ALTER COLUMN a TYPE text');
      assert.deepEqual(await db.sql.query(read), [{ a: '1' }]);
      assert.deepEqual(await db.sql.transaction((tx) => tx.query(read)), [{ a: '1' }]);
      await db.sql.query('ALTER TABLE plan_probe ALTER COLUMN a TYPE int USING a::int');
      assert.deepEqual(await db.sql.transaction((tx) => tx.query(read)), [{ a: 1 }]);
      assert.deepEqual(await db.sql.query(read), [{ a: 1 }]);
    } finally {
      await db.close();
      await services.drop();
    }
  });
});

suite('on embedded PGlite', onEmbeddedPglite);

describe('a plain-SQL transaction whose connection is cut between two statements (a restarting PostgreSQL)', () => {
  it('fails the transaction, and the process and the pool carry on', async () => {
    const services = await createTestServices();
    const db = await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 1 });
    const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 1 });
    try {
      await assert.rejects(db.sql.transaction(async (sql) => {
        const [{ pid }] = await sql.query<{ pid: number }>('select pg_backend_pid() as pid');
        await admin.sql.query('select pg_terminate_backend($1)', [pid]);
        // the server's goodbye reaches the client while no statement runs: unhandled, it would end this process
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql.query('select 1');
      }));
      assert.deepEqual(await db.sql.query('select 1 as one'), [{ one: 1 }], 'the pool lends a new connection');
    } finally {
      await db.close();
      await admin.close();
      await services.drop();
    }
  });
});
