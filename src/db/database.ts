// Opens Tessera's database: PostgreSQL when a URL is configured, otherwise embedded PGlite in a
// data folder, so `npm start` needs no server. Both are Postgres, so one schema and one set of
// migrations serve both.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import {
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlQuery,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { PrismaClient } from './generated/client.js';
import { redactPassword } from '../errors/redact-password.js';
import { withWasmOnBaselineTier } from './wasm-tiering.js';

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

/**
 * Plain SQL for the few statements on a hot path (a refresh-token rotation), where Prisma's per-query work (its query
 * compiler and interpreter, ≈0.5–0.7 ms of CPU per call measured here) costs more than the statement itself. Values
 * go as parameters, never into the text: the texts are constants, and on PostgreSQL each is a named prepared statement
 * (preparedStatementsFor). Rows come back as the driver parses them: jsonb as objects, timestamps as Dates, bigint as
 * strings.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<T[]>;
  /** runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws */
  transaction<T>(work: (sql: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
}

/**
 * A `timestamp(3)` column (Prisma's DateTime: UTC without a zone) as epoch milliseconds, float8: a number in every
 * driver, where a bare timestamp would be read in the process's (pg) or the session's (PGlite) time zone.
 */
export const epochMs = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly prisma: PrismaClient;
  /** the same connections as `prisma` (PostgreSQL: one pool; embedded: through Prisma, so its transactions hold) */
  readonly sql: Sql;
  /** the driver adapter factory, migration-aware (for the schema engine) */
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL pool size; default 10 */
  poolMax?: number;
  /** how long to wait for a PostgreSQL connection before giving up; default 5000 ms */
  connectTimeoutMs?: number;
  /** runs each SQL statement inside a span (OpenTelemetry, operations/tracing.ts); absent: no wrapper at all */
  span?: <T>(name: string, attributes: Record<string, string>, work: () => Promise<T>) => Promise<T>;
}

/** codes: db.invalid_url, db.unreachable, db.embedded_unavailable, db.migration_lock_timeout, db.migration_failed */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Opens the database and proves it answers a query, so a wrong URL fails at start-up with a clear
 * message rather than on the first request.
 * @throws DatabaseError db.invalid_url | db.unreachable | db.embedded_unavailable
 */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, options) : openEmbedded(target.dataDir);
}

/**
 * Whether `sql` sends its statements as named prepared statements, parsed and planned once per connection: an unnamed
 * statement is parsed and planned again at every call, and for a refresh's two statements that planning cost PostgreSQL
 * more CPU than running them (≈2 ms of 2.6 ms per refresh, docs/benchmarks.md). PgBouncer in transaction pooling
 * before 1.21 hands each transaction whichever server connection is free, where the name is unknown or taken, so
 * `pgbouncer=true` in the URL turns them off — Prisma's own switch for the same reason.
 */
export function preparedStatementsFor(url: string): boolean {
  try {
    return new URL(url).searchParams.get('pgbouncer') !== 'true';
  } catch {
    return true;
  }
}

/**
 * PostgreSQL's refusal of a prepared statement whose result no longer fits the schema (a migration that changed
 * what it returns, applied while this process ran): the statement is prepared again on a fresh connection.
 */
export function stalePlan(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

/** a statement's name, from its text: one text, one name, in every process (node-postgres refuses a name reused for another text) */
function statementNamer(): (text: string) => string {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`));
    return name;
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const where = describePostgresUrl(url);
  // one pool for Prisma and for plain SQL (`sql`), so the pool size bounds both
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  });
  // an idle connection dropped by a restarting server: the next query reconnects (unhandled, it would end the process)
  pool.on('error', () => undefined);
  const wrap = (factory: PrismaPg): SqlMigrationAwareDriverAdapterFactory => ({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const whole = withWholeScripts(adapter, (script) => adapter.underlyingDriver().query(script));
      return options.span ? tracedQueries(whole, options.span) : whole;
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      return withWholeScripts(adapter, (script) => adapter.underlyingDriver().query(script));
    },
  });
  const shared = wrap(new PrismaPg(pool));
  // The schema engine (migrations) gets connections of its own, closed when it disposes them: it takes Prisma's
  // advisory lock at session level and never unlocks it, so a connection of the shared pool would go back holding
  // it, and every later migrator (another process starting) would wait for it until it timed out.
  // (a PrismaPg given a configuration makes a pool per connection and ends it on dispose).
  const adapterFactory = wrap(new PrismaPg({ connectionString: url, max: 2, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 }));
  const prisma = new PrismaClient({ adapter: shared });
  try {
    await withWasmOnBaselineTier(() => prisma.$queryRawUnsafe('SELECT 1'));
  } catch (error) {
    await prisma.$disconnect().catch(() => {});
    await pool.end().catch(() => {});
    const reason = redactPassword(briefReason(error), url);
    // no `cause`: a driver error may carry the connection parameters into whatever logs it
    throw new DatabaseError('db.unreachable', `cannot reach PostgreSQL at ${where}: ${reason}`);
  }
  const nameOf = preparedStatementsFor(url) ? statementNamer() : undefined;
  const statement = (text: string, values: readonly unknown[]) => ({ name: nameOf?.(text), text, values: values as unknown[] });
  // a stale prepared statement fails once per pooled connection that holds it: each failure drops its connection
  const stalePlanTries = (options.poolMax ?? 10) + 1;
  const sql: Sql = {
    async query<T>(text: string, values: readonly unknown[] = []) {
      for (let attempt = 1; ; attempt++) {
        try {
          // pg-pool releases a connection whose query failed as broken: the next try gets another
          return (await pool.query(statement(text, values))).rows as T[];
        } catch (error) {
          if (attempt >= stalePlanTries || !stalePlan(error)) throw error;
        }
      }
    },
    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(work);
        } catch (error) {
          if (attempt >= stalePlanTries || !stalePlan(error)) throw error;
        }
      }
    },
  };
  /** one transaction; a work function only reads and writes through `tx`, so a rolled-back one can run again */
  const once: Sql['transaction'] = async (work) => {
    const client = await pool.connect();
    let failed: Error | undefined;
    let stalePlanSeen = false;
    // a checked-out client has no pool listener: a connection reset between two statements (a restarting server)
    // would be an unhandled 'error' and end the process; it fails the transaction instead
    const onError = (error: Error) => { failed ??= error; };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work({ query: async <T>(text: string, values: readonly unknown[] = []) => (await client.query(statement(text, values))).rows as T[] });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => { failed = rollback; });
      stalePlanSeen = stalePlan(error);
      throw error;
    } finally {
      // a connection whose rollback failed is broken, and one holding a stale statement is of no more use: the pool
      // drops either instead of lending it again
      client.removeListener('error', onError);
      client.release(failed ?? (stalePlanSeen ? new Error('stale prepared statement') : undefined));
    }
  };
  return {
    kind: 'postgres',
    prisma,
    sql: options.span ? tracedSql(sql, options.span) : sql,
    adapterFactory,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = join(dataDir, 'pglite');
  let pglite: PGlite;
  try {
    await mkdir(dir, { recursive: true });
    // loaded here: a process on PostgreSQL never needs the embedded engine
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create(dir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseError('db.embedded_unavailable', `cannot open the embedded database in ${dir}: ${reason}`, {
      cause: error,
    });
  }
  const adapterFactory = await pgliteAdapterFactory(pglite);
  const prisma = new PrismaClient({ adapter: adapterFactory });
  try {
    await withWasmOnBaselineTier(() => prisma.$queryRawUnsafe('SELECT 1'));
  } catch (error) {
    await prisma.$disconnect().catch(() => {});
    await pglite.close().catch(() => {});
    throw new DatabaseError('db.embedded_unavailable', `cannot open the embedded database in ${dir}: ${briefReason(error)}`, { cause: error });
  }
  return {
    kind: 'embedded',
    prisma,
    // PGlite is one connection: a statement sent beside Prisma could land inside one of its open transactions
    sql: {
      query: <T>(text: string, values: readonly unknown[] = []) => prisma.$queryRawUnsafe<T[]>(text, ...values),
      transaction: (work) => prisma.$transaction((tx) => work({ query: <T>(text: string, values: readonly unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...values) })),
    },
    adapterFactory,
    close: async () => {
      await prisma.$disconnect();
      // closing flushes PGlite's state to the data folder
      await pglite.close();
    },
  };
}

/**
 * A migration-aware factory over one PGlite instance; its shadow databases are fresh in-memory
 * PGlites, closed when the schema engine lets go of them.
 */
export async function pgliteAdapterFactory(pglite: PGlite): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  const base = new PrismaPGlite(pglite);
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => withWholeScripts(await base.connect(), (script) => pglite.exec(script)),
    connectToShadowDb: async () => {
      const shadow = await PGlite.create();
      const adapter = withWholeScripts(await new PrismaPGlite(shadow).connect(), (script) => shadow.exec(script));
      return { ...adapter, dispose: () => shadow.close() };
    },
  };
}

/**
 * The schema engine runs each migration through `executeScript`. The stock adapters get it wrong for
 * migrations: adapter-pg splits the script on every ";" (breaking string literals and function
 * bodies, and committing statement by statement), and the PGlite adapter does not await it (a failing
 * migration would be recorded as applied). We send the whole script as one simple-protocol query,
 * which PostgreSQL runs as a single implicit transaction — what the native engine does.
 */
function withWholeScripts(adapter: SqlDriverAdapter, run: (script: string) => Promise<unknown>): SqlDriverAdapter {
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => adapter.queryRaw(query),
    executeRaw: (query) => adapter.executeRaw(query),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    getConnectionInfo: () => adapter.getConnectionInfo?.() ?? { supportsRelationJoins: true },
    dispose: () => adapter.dispose(),
    executeScript: async (script) => {
      try {
        await run(script);
      } catch (error) {
        throw toDriverAdapterError(error);
      }
    },
  };
}

type Queries = Pick<SqlDriverAdapter, 'queryRaw' | 'executeRaw'>;

/**
 * The adapter (and each transaction it starts) with every statement in a span named `db <verb>`. The statement's
 * text is recorded — Prisma sends values as parameters, never in the text — but not its values.
 */
function tracedQueries<T extends Queries>(target: T, span: NonNullable<OpenDatabaseOptions['span']>): T {
  const traced = (run: (query: SqlQuery) => Promise<unknown>) => (query: SqlQuery) => {
    const verb = /^\s*(\w+)/.exec(query.sql)?.[1]?.toUpperCase() ?? 'QUERY';
    return span(`db ${verb}`, { 'db.system.name': 'postgresql', 'db.operation.name': verb, 'db.query.text': query.sql.slice(0, 1000) }, () => run(query));
  };
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (property === 'queryRaw' || property === 'executeRaw') return traced((query) => (value as (q: SqlQuery) => Promise<unknown>).call(object, query));
      if (property === 'startTransaction') {
        return async (...args: unknown[]) => tracedQueries(await (value as (...a: unknown[]) => Promise<Queries>).apply(object, args), span);
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
}

/** `sql` with every statement in a span, as tracedQueries does for Prisma's */
function tracedSql(sql: Sql, span: NonNullable<OpenDatabaseOptions['span']>): Sql {
  const traced = (run: Pick<Sql, 'query'>): Pick<Sql, 'query'> => ({
    query(text, values) {
      const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
      return span(`db ${verb}`, { 'db.system.name': 'postgresql', 'db.operation.name': verb, 'db.query.text': text.slice(0, 1000) }, () => run.query(text, values));
    },
  });
  return { ...traced(sql), transaction: (work) => sql.transaction((tx) => work(traced(tx))) };
}

/** Keeps PostgreSQL's own error fields, so the engine's message (and `_prisma_migrations.logs`) says what failed. */
function toDriverAdapterError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as { code?: unknown; severity?: unknown; message?: unknown; detail?: unknown; column?: unknown; hint?: unknown };
  if (typeof e.code !== 'string' || typeof e.message !== 'string') return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code,
    severity: typeof e.severity === 'string' ? e.severity : 'ERROR',
    message: e.message,
    detail: typeof e.detail === 'string' ? e.detail : undefined,
    column: typeof e.column === 'string' ? e.column : undefined,
    hint: typeof e.hint === 'string' ? e.hint : undefined,
  });
}

/** "host:port/database" for messages: never the user or password. @throws DatabaseError db.invalid_url */
function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError('db.invalid_url', 'the PostgreSQL URL is not a valid URL (postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseError('db.invalid_url', `the PostgreSQL URL must start with postgres:// (got ${parsed.protocol}//)`);
  }
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** Prisma wraps the driver's message in a paragraph about the call site; keep the driver's words. */
function briefReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /Message: `([^`]*)`/.exec(message);
  if (quoted?.[1]) return quoted[1];
  return message.trim().split('\n').filter(Boolean).at(-1) ?? 'unknown error';
}

