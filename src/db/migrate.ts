// Applies prisma/migrations at start-up (or from `tessera db migrate`). Same folder format and
// `_prisma_migrations` table as `prisma migrate deploy`, which stays usable wherever its binary runs.
import { join } from 'node:path';
import type { SqlDriverAdapter, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';
import { DatabaseError, type Database } from './database.js';
import { engineErrorMessage, findPrismaDir, noFilters, readMigrations, withSchemaEngine } from './schema-engine.js';

export interface MigrateOptions {
  /** default: <repo>/prisma/migrations */
  migrationsDir?: string;
  /** how long a PostgreSQL migrator waits for another one to finish; default 60 s */
  lockTimeoutMs?: number;
}

/**
 * Our own lock key, not Prisma's 72707369: the engine takes that one on its own connection, and
 * holding it here as well would make the engine wait for us while we wait for the engine.
 */
export const MIGRATION_LOCK_KEY = 5_841_209_337;

/** PGlite is one process's database, so migrators only need to queue within this process. */
let embeddedQueue: Promise<unknown> = Promise.resolve();

/**
 * Applies every migration not yet recorded in `_prisma_migrations` and returns their names (empty
 * when the database is up to date). Safe to call from several processes at once on PostgreSQL.
 * @throws DatabaseError db.migration_lock_timeout | db.migration_failed
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? join(await findPrismaDir(), 'migrations');
  const apply = async (): Promise<string[]> => {
    const migrationsList = await readMigrations(migrationsDir);
    try {
      return await withSchemaEngine(db.adapterFactory, async (engine) => {
        const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
        return appliedMigrationNames;
      });
    } catch (error) {
      throw new DatabaseError('db.migration_failed', `database migration failed: ${engineErrorMessage(error)}`, {
        cause: error,
      });
    }
  };
  if (db.kind === 'embedded') {
    const run = embeddedQueue.then(apply);
    embeddedQueue = run.catch(() => {});
    return run;
  }
  return withMigrationLock(db, options.lockTimeoutMs ?? 60_000, apply);
}

/**
 * Names of the migrations in the folder that the database has not applied yet, in order. Reads
 * `_prisma_migrations` directly: cheap, no schema engine, no lock.
 */
export async function pendingMigrations(db: Database, options: Pick<MigrateOptions, 'migrationsDir'> = {}): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? join(await findPrismaDir(), 'migrations');
  const { migrationDirectories } = await readMigrations(migrationsDir);
  const rows = await db.prisma.$queryRawUnsafe<{ exists: boolean }[]>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`,
  );
  const applied = new Set<string>();
  if (rows[0]?.exists) {
    const done = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    for (const row of done) applied.add(row.migration_name);
  }
  return migrationDirectories.map((d) => d.path).filter((name) => !applied.has(name));
}

/**
 * Holds a transaction-scoped advisory lock on a connection of its own while `work` runs, so two
 * servers starting together migrate one after the other; the second then finds nothing to apply.
 * The engine does take Prisma's lock, but session-level on a pooled connection it never releases, and
 * with an unbounded wait; ours is explicit, bounded, and ends with the transaction.
 */
async function withMigrationLock<T>(db: Database, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const session: SqlDriverAdapter = await db.adapterFactory.connect();
  let tx: Transaction | undefined;
  try {
    // adapter-pg sends BEGIN here but leaves COMMIT/ROLLBACK to the caller: see `finally`
    tx = await session.startTransaction();
    await tx.executeRaw(sql(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`));
    try {
      // executeRaw: the function returns `void`, a column type queryRaw refuses to map
      await tx.executeRaw(sql(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`));
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      throw new DatabaseError(
        'db.migration_lock_timeout',
        `another process has been migrating the database for over ${timeoutMs} ms; try again when it is done`,
        { cause: error },
      );
    }
    return await work();
  } finally {
    // ROLLBACK ends the transaction and with it the lock; closing the session would too
    await tx?.executeRaw(sql('ROLLBACK')).catch(() => {});
    await tx?.rollback().catch(() => {});
    await session.dispose();
  }
}

/** SQLSTATE 55P03 lock_not_available, as the driver adapter reports it. */
function isLockTimeout(error: unknown): boolean {
  const cause = (error as { cause?: { originalCode?: unknown } } | null)?.cause;
  return cause?.originalCode === '55P03';
}

function sql(text: string): SqlQuery {
  return { sql: text, args: [], argTypes: [] };
}
