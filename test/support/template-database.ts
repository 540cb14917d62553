// One migrated PostgreSQL database per set of migrations, which every test database is cloned from
// (`CREATE DATABASE … TEMPLATE`): copying files is much cheaper than running the migrations for each file.
// Its name carries a hash of prisma/migrations, so a changed migration gets a new template and a stale one is never used.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { findPrismaDir, readMigrations } from '../../src/db/schema-engine.js';

/** serialises template builders across the test processes of a run (and concurrent runs) */
const TEMPLATE_LOCK_KEY = 5_841_209_338;

const known = new Map<string, Promise<string>>();

/** a hash of prisma/migrations (each migration's path and SQL): a changed migration changes it */
export async function migrationsHash(): Promise<string> {
  const migrations = await readMigrations(join(await findPrismaDir(), 'migrations'));
  const hash = createHash('sha256');
  for (const dir of migrations.migrationDirectories) {
    hash.update(dir.path).update('\0').update(dir.migrationFile.content.value).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function templateName(): Promise<string> {
  return `tessera_template_${await migrationsHash()}`;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.href;
}

/** `make(key)` once per key in this process; a failed one is made again at the next call */
export function madeOnce<K, V>(made: Map<K, Promise<V>>, key: K, make: (key: K) => Promise<V>): Promise<V> {
  let value = made.get(key);
  if (!value) {
    value = make(key).catch((error: unknown) => {
      made.delete(key);
      throw error;
    });
    made.set(key, value);
  }
  return value;
}

/** The name of the migrated template, built on first use. A crashed build leaves only a `_building` database, never a half-migrated template. */
export function migratedTemplate(adminUrl: string): Promise<string> {
  // one per server: a test may also use a private PostgreSQL of its own
  return madeOnce(known, adminUrl, build);
}

async function build(adminUrl: string): Promise<string> {
  const name = await templateName();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = async () => (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (await exists()) return name;
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      if (await exists()) return name;
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const db = await openDatabase({ kind: 'postgres', url: withDatabase(adminUrl, building) }, { poolMax: 2 });
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  } finally {
    await admin.end();
  }
}
