// tessera/rls on real PostgreSQL with real policies (issue #18 §3): the auth schema installed by
// `tessera rls install`, tables read by an ordinary role (RLS binds it; the owner would bypass it), tokens from a
// local stand-in issuer. Owner-only and permission-gated rows; a token of another issuer, an expired or a forged
// one gets nothing; claims end with the transaction, and claims left by a mistaken session-level set_config are
// ignored; through PgBouncer in transaction pooling, two clients on one server connection never see each other's rows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/db/generated/client.js';
import { tesseraRls, withAuth } from '../../src/rls/index.js';
import { runTesseraCli } from '../../src/cli/cli-run.js';
import { createVerifier, TokenVerificationError } from '../../src/verify/index.js';
import { startStubIssuer, type StubIssuer } from '../support/stub-issuer.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { endPool } from '../support/end-pool.js';
import { adminDatabaseUrl } from '../support/test-env.js';

const suffix = randomBytes(4).toString('hex');
const database = `tessera_rls_${suffix}`;
const appRole = `tessera_rls_app_${suffix}`;
const urlFor = (db: string, user = 'postgres') => {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${db}`;
  url.username = user;
  return url.toString();
};

const schema = `
  create table notes (id serial primary key, owner_id text not null, body text not null);
  alter table notes enable row level security;
  create policy notes_owner on notes using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
  create table reports (id serial primary key, body text not null);
  alter table reports enable row level security;
  create policy reports_readers on reports for select using ((select auth.has_permission('read:reports')));
  create table admin_notes (id serial primary key, body text not null);
  alter table admin_notes enable row level security;
  create policy admin_only on admin_notes for select using ((select auth.has_role('admin')) and (select auth.aal()) = 'aal2');
  insert into notes (owner_id, body) values ('alice', 'alice 1'), ('alice', 'alice 2'), ('bob', 'bob 1');
  insert into reports (body) values ('q1'), ('q2');
  insert into admin_notes (body) values ('secret');
  grant select, insert on notes, reports, admin_notes to ${appRole};
  grant usage on all sequences in schema public to ${appRole};
`;

describe('tessera/rls on PostgreSQL', () => {
  let stub: StubIssuer;
  let verifier: ReturnType<typeof createVerifier>;
  let pool: pg.Pool;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });

  before(async () => {
    stub = await startStubIssuer();
    verifier = createVerifier({ issuer: stub.issuer, audience: stub.audience });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.query(`create role ${appRole} login`);
    const install = await runTesseraCli(['rls', 'install', '--database-url', urlFor(database)], {});
    assert.equal(install.exitCode, 0, install.stderr);
    const owner = new pg.Client({ connectionString: urlFor(database) });
    await owner.connect();
    await owner.query(schema);
    await owner.end();
    pool = new pg.Pool({ connectionString: urlFor(database, appRole), max: 1 });
  });
  after(async () => {
    if (pool) await endPool(pool);
    await untilNoConnections(database);
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.query(`drop role if exists ${appRole}`);
    await admin.end();
    await stub.close();
  });

  // Prisma's adapter closes its pool the same way: give the server a moment to see every backend go
  const untilNoConnections = async (db: string) => {
    for (let tries = 0; tries < 50; tries += 1) {
      const { rows: [{ n }] } = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [db]);
      if (n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const token = (claims: Record<string, unknown> = {}) => stub.sign({ sub: 'alice', ...claims });
  const rows = async (db: pg.Pool | pg.Client, accessToken: string, sql: string) =>
    withAuth(db, accessToken, async (client) => ((await client.query(sql)) as pg.QueryResult).rows, { verifier });

  it('install is idempotent', async () => {
    const again = await runTesseraCli(['rls', 'install', '--database-url', urlFor(database)], {});
    assert.equal(again.exitCode, 0, again.stderr);
    assert.equal((await runTesseraCli(['rls', 'install'], {})).exitCode, 2);
    for (const bad of ['postgresql://app@127.0.0.1:9/appdb', 'postgresql://app@127.0.0.1:notaport/appdb']) {
      const refused = await runTesseraCli(['rls', 'install', '--database-url', bad], {});
      assert.equal(refused.exitCode, 1);
      assert.match(refused.stderr, /^tessera: rls install failed: /);
    }
  });

  it('owner-only rows: each subject sees and writes only its own', async () => {
    assert.deepEqual((await rows(pool, await token(), 'select body from notes order by id')).map((r) => r.body), ['alice 1', 'alice 2']);
    assert.deepEqual((await rows(pool, await token({ sub: 'bob' }), 'select body from notes')).map((r) => r.body), ['bob 1']);
    await assert.rejects(rows(pool, await token({ sub: 'bob' }), `insert into notes (owner_id, body) values ('alice', 'by bob')`), /row-level security/);
  });

  it('permission-gated and role-gated rows', async () => {
    assert.equal((await rows(pool, await token({ permissions: ['read:reports'] }), 'select * from reports')).length, 2);
    assert.equal((await rows(pool, await token({ permissions: ['write:reports'] }), 'select * from reports')).length, 0);
    assert.equal((await rows(pool, await token({ roles: ['admin'], amr: ['pwd'] }), 'select * from admin_notes')).length, 0, 'aal1 is not enough');
    assert.equal((await rows(pool, await token({ roles: ['admin'], amr: ['pwd', 'otp'] }), 'select * from admin_notes')).length, 1);
    const [helpers] = await rows(pool, await token({ roles: ['admin'], amr: ['pwd', 'otp'] }), `select auth.uid() as uid, auth.role() as role, auth.aal() as aal, auth.has_role('admin') as admin, auth.jwt() ->> 'client_id' as client_id`);
    assert.deepEqual(helpers, { uid: 'alice', role: 'authenticated', aal: 'aal2', admin: true, client_id: 'app' });
  });

  it('another issuer, an expired or a forged token gets nothing: refused before any query runs', async () => {
    const foreign = await startStubIssuer(stub.audience);
    try {
      const now = Math.floor(Date.now() / 1000);
      const [header, payload] = (await token()).split('.');
      const bad = [await foreign.sign({ sub: 'alice', iss: stub.issuer }), await token({ exp: now - 600 }), `${header}.${payload}.${'A'.repeat(342)}`];
      for (const accessToken of bad) {
        let ran = false;
        await assert.rejects(withAuth(pool, accessToken, async () => { ran = true; }, { verifier }), TokenVerificationError);
        assert.equal(ran, false);
      }
    } finally {
      await foreign.close();
    }
  });

  it('claims do not survive the transaction, and a session-level set_config is ignored by the next transaction', async () => {
    const client = await pool.connect();
    try {
      await withAuth(client, await token(), async (tx) => {
        assert.equal(((await tx.query('select auth.uid() as uid')) as pg.QueryResult).rows[0].uid, 'alice');
      }, { verifier });
      assert.equal((await client.query('select auth.uid() as uid')).rows[0].uid, null);
      assert.equal((await client.query('select count(*)::int as n from notes')).rows[0].n, 0);
      // the mistake of ent#4469: claims set for the session, not the transaction
      await client.query(`select set_config('tessera.auth', jsonb_build_object('txid', txid_current()::text, 'claims', '{"sub":"alice"}'::jsonb)::text, false)`);
      assert.notEqual((await client.query(`select current_setting('tessera.auth') as v`)).rows[0].v, '', 'the setting is still on the connection');
      assert.equal((await client.query('select auth.uid() as uid')).rows[0].uid, null);
      assert.equal((await client.query('select count(*)::int as n from notes')).rows[0].n, 0);
    } finally {
      client.release();
    }
  });

  it('the Prisma forms: withAuth on an interactive transaction, and $extends', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: urlFor(database, appRole), max: 1 }) });
    try {
      const bodies = (result: unknown) => (result as { body: string }[]).map((r) => r.body);
      const plain = await withAuth(prisma, await token({ sub: 'bob' }), (tx) => tx.$queryRawUnsafe('select body from notes order by id'), { verifier });
      assert.deepEqual(bodies(plain), ['bob 1']);
      const db = prisma.$extends(tesseraRls({ verifier }));
      assert.deepEqual(bodies(await db.$withAuth(await token(), (tx) => (tx as unknown as PrismaClient).$queryRawUnsafe('select body from notes order by id'))), ['alice 1', 'alice 2']);
      assert.deepEqual(bodies(await prisma.$queryRawUnsafe('select body from notes')), [], 'outside withAuth: no claims, no rows');
      await assert.rejects(db.$withAuth(await token({ exp: 1 }), async () => assert.fail('ran with an expired token')), TokenVerificationError);
    } finally {
      await prisma.$disconnect();
    }
  });

  describe('through PgBouncer (transaction pooling, one server connection)', () => {
    let bouncer: PgBouncer;
    let alicePool: pg.Pool;
    let bobPool: pg.Pool;
    before(async () => {
      bouncer = await startPgBouncer(database, appRole);
      alicePool = new pg.Pool({ connectionString: bouncer.url, max: 2 });
      bobPool = new pg.Pool({ connectionString: bouncer.url, max: 2 });
    });
    after(async () => {
      await endPool(alicePool);
      await endPool(bobPool);
      await bouncer?.stop();
    });

    it('two clients interleaving never see each other rows, even after a session-level set_config', async () => {
      const [aliceToken, bobToken] = [await token(), await token({ sub: 'bob' })];
      // one client leaves session-level claims on the shared server connection
      await alicePool.query(`select set_config('tessera.auth', jsonb_build_object('txid', txid_current()::text, 'claims', '{"sub":"alice"}'::jsonb)::text, false)`);
      const backends = new Set<number>();
      for (let round = 0; round < 10; round += 1) {
        const [alice, bob, anonymous] = await Promise.all([
          rows(alicePool, aliceToken, 'select pg_backend_pid() as pid, body from notes order by id'),
          rows(bobPool, bobToken, 'select pg_backend_pid() as pid, body from notes order by id'),
          bobPool.query('select pg_backend_pid() as pid, auth.uid() as uid, (select count(*)::int from notes) as n'),
        ]);
        assert.deepEqual(alice.map((r) => r.body), ['alice 1', 'alice 2']);
        assert.deepEqual(bob.map((r) => r.body), ['bob 1']);
        assert.deepEqual({ uid: anonymous.rows[0].uid, n: anonymous.rows[0].n }, { uid: null, n: 0 });
        for (const r of [...alice, ...bob, ...anonymous.rows]) backends.add(r.pid);
      }
      assert.equal(backends.size, 1, 'every transaction ran on the one server connection');
    });
  });
});
