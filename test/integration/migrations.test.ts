import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate, MIGRATION_LOCK_KEY, pendingMigrations } from '../../src/db/migrate.js';
import { authorMigration, diffMigrationsToSchema } from '../../src/db/migration-author.js';
import { findPrismaDir } from '../../src/db/schema-engine.js';
import { copyEmbeddedTemplate } from '../support/embedded-template.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const TABLES = ['_prisma_migrations', 'apis', 'audit_events', 'audit_heads', 'client_roles', 'clients', 'identities', 'license_activations', 'license_policies', 'license_products', 'licenses', 'mfa_factors', 'oidc_models', 'passkeys', 'permissions', 'recovery_codes', 'role_permissions', 'roles', 'session_activity', 'signing_keys', 'tenants', 'trusted_devices', 'user_roles', 'users'];

const prismaDir = await findPrismaDir();
const migrationsDir = join(prismaDir, 'migrations');
const migrationNames = (await readdir(migrationsDir, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

// one suite around the file's tests, so that its cleanup hook is the suite's, not the process's root's: the file then
// shares a test process with others (run-suite.ts) instead of starting one of its own
describe('migrations', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  async function throwawayPostgresUrl(): Promise<string> {
    const name = `tessera_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
    return `postgres://postgres@127.0.0.1:5432/${name}`;
  }

  async function open(target: Parameters<typeof openDatabase>[0]): Promise<Database> {
    const db = await openDatabase(target);
    cleanups.push(() => db.close());
    return db;
  }

  async function tableNames(db: Database): Promise<string[]> {
    const rows = await db.prisma.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    return rows.map((r) => r.table_name);
  }

  /** What `prisma migrate deploy` would check: one finished row per folder, with the file's SHA-256. */
  async function assertRecorded(db: Database): Promise<void> {
    const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; finished: boolean }[]>(
      'SELECT migration_name, checksum, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
    );
    const expected = await Promise.all(
      migrationNames.map(async (name) => ({
        migration_name: name,
        checksum: createHash('sha256').update(await readFile(join(migrationsDir, name, 'migration.sql'))).digest('hex'),
        finished: true,
      })),
    );
    assert.deepEqual(rows, expected);
  }

  /** A ";" inside a literal must not split the script, and the failing last statement must undo the rest. */
  async function assertBrokenMigrationFailsWhole(db: Database): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-migrations-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    const broken = join(dir, '20000101000000_broken');
    await mkdir(broken);
    await writeFile(
      join(broken, 'migration.sql'),
      `CREATE TABLE semi (note TEXT NOT NULL DEFAULT 'a;b');\nINSERT INTO semi DEFAULT VALUES;\nSELECT 1/0;\n`,
    );
    await assert.rejects(migrate(db, { migrationsDir: dir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'db.migration_failed');
      assert.match(error.message, /division by zero/);
      return true;
    });
    assert.equal((await tableNames(db)).includes('semi'), false, 'the failed migration left a table behind');
  }

  test('the migrations folder holds an init migration and the lockfile', async () => {
    assert.ok(migrationNames.some((n) => /^\d{14}_init$/.test(n)), `no <timestamp>_init in ${migrationNames.join(', ')}`);
    assert.match(await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8'), /provider = "postgresql"/);
  });

  describe('on PostgreSQL', () => {
    test('migrate applies every migration once and records it', async () => {
      const db = await open({ kind: 'postgres', url: await throwawayPostgresUrl() });
      assert.deepEqual(await pendingMigrations(db), migrationNames);
      assert.deepEqual(await migrate(db), migrationNames);
      assert.deepEqual(await migrate(db), []);
      assert.deepEqual(await pendingMigrations(db), []);
      assert.deepEqual(await tableNames(db), TABLES);
      await assertRecorded(db);
    });

    test('two servers migrating at once both succeed and apply each migration once', async () => {
      const url = await throwawayPostgresUrl();
      const [a, b] = await Promise.all([open({ kind: 'postgres', url }), open({ kind: 'postgres', url })]);
      const [fromA, fromB] = await Promise.all([migrate(a), migrate(b)]);
      assert.deepEqual([...fromA, ...fromB].sort(), migrationNames);
      assert.ok(fromA.length === 0 || fromB.length === 0, 'one migrator must find the work already done');
      await assertRecorded(a);
    });

    test('a migrator waits for the migration lock, and only for a bounded time', async () => {
      const url = await throwawayPostgresUrl();
      const db = await open({ kind: 'postgres', url });
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      cleanups.push(() => holder.end());
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await assert.rejects(migrate(db, { lockTimeoutMs: 200 }), { code: 'db.migration_lock_timeout' });
      assert.deepEqual(await pendingMigrations(db), migrationNames, 'nothing may be applied without the lock');
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      assert.deepEqual(await migrate(db, { lockTimeoutMs: 200 }), migrationNames);
    });

    test('a broken migration fails as a whole, with PostgreSQL’s reason', async () => {
      await assertBrokenMigrationFailsWhole(await open({ kind: 'postgres', url: await throwawayPostgresUrl() }));
    });
  });

  // a copy of a new PGlite cluster (embedded-template.ts): what is tested is migrating, not PGlite creating its cluster
  describe('on embedded PGlite', () => {
    test('migrate applies once, concurrent calls queue, and data survives close and reopen', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'tessera-pglite-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      await copyEmbeddedTemplate(dataDir, 'empty');
      const first = await openDatabase({ kind: 'embedded', dataDir });
      try {
        assert.equal(first.kind, 'embedded');
        assert.deepEqual(await pendingMigrations(first), migrationNames);
        const [x, y] = await Promise.all([migrate(first), migrate(first)]);
        assert.deepEqual([...x, ...y].sort(), migrationNames);
        assert.deepEqual(await migrate(first), []);
        assert.deepEqual(await tableNames(first), TABLES);
        await assertRecorded(first);
        await first.prisma.tenant.create({ data: { slug: 'acme', name: 'Acme Corp' } });
      } finally {
        await first.close();
      }

      const again = await openDatabase({ kind: 'embedded', dataDir });
      try {
        assert.deepEqual(await migrate(again), []);
        const tenant = await again.prisma.tenant.findUnique({ where: { slug: 'acme' } });
        assert.equal(tenant?.name, 'Acme Corp');
      } finally {
        await again.close();
      }
    });

    test('a broken migration fails as a whole, with PostgreSQL’s reason', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'tessera-pglite-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      await copyEmbeddedTemplate(dataDir, 'empty');
      await assertBrokenMigrationFailsWhole(await open({ kind: 'embedded', dataDir }));
    });
  });

  describe('migrations and schema.prisma', () => {
    test('the migrations produce exactly the schema: a model change without a migration fails here', async () => {
      assert.equal(await diffMigrationsToSchema(), null, 'run `npm run db:diff -- <name>` and commit the migration');
    });

    test('db:diff writes a migration for a schema change and nothing when in sync', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tessera-author-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const copy = join(dir, 'migrations');
      await cp(migrationsDir, copy, { recursive: true });
      const schemaPath = join(dir, 'schema.prisma');
      const schema = await readFile(join(prismaDir, 'schema.prisma'), 'utf8');
      await writeFile(schemaPath, `${schema}\nmodel Gadget {\n  id Int @id\n  @@map("gadgets")\n}\n`);

      // after the newest migration, whatever this machine's clock says: branches name theirs with assigned future prefixes
      const written = await authorMigration('Add gadgets', { migrationsDir: copy, schemaPath }, new Date('2100-01-01T00:00:00Z'));
      assert.ok(written, 'a schema change must produce a migration');
      assert.match(written, /\d{14}_add_gadgets$/);
      assert.match(await readFile(join(written, 'migration.sql'), 'utf8'), /CREATE TABLE "gadgets"/);
      assert.equal(await diffMigrationsToSchema({ migrationsDir: copy, schemaPath }), null);
    });
  });

  describe('a PostgreSQL that cannot be reached', () => {
    const listen = async (server: Server): Promise<number> => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      assert.ok(address && typeof address === 'object');
      return address.port;
    };

    test('nothing listening: a clear error naming host and port, never the password', { timeout: 10_000 }, async () => {
      const server = createServer();
      const port = await listen(server);
      await new Promise((resolve) => server.close(resolve));
      const url = `postgres://tessera:s3cret-pw@127.0.0.1:${port}/tessera`;
      await assert.rejects(openDatabase({ kind: 'postgres', url }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'db.unreachable');
        assert.match(error.message, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/tessera`));
        assert.doesNotMatch(`${error.message} ${error.stack}`, /s3cret-pw/);
        return true;
      });
    });

    test('a server that never answers: gives up after the connect timeout', { timeout: 10_000 }, async () => {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => sockets.add(socket));
      const port = await listen(server);
      try {
        const url = `postgres://tessera:s3cret-pw@127.0.0.1:${port}/tessera`;
        await assert.rejects(openDatabase({ kind: 'postgres', url }, { connectTimeoutMs: 300 }), {
          code: 'db.unreachable',
          message: /127\.0\.0\.1:\d+\/tessera: .*timeout/i,
        });
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test('a URL that is not one: rejected without echoing it', async () => {
      await assert.rejects(openDatabase({ kind: 'postgres', url: 'tessera:s3cret-pw@db' }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'db.invalid_url');
        assert.doesNotMatch(error.message, /s3cret-pw/);
        return true;
      });
    });
  });
});
