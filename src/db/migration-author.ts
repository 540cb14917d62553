// `npm run db:diff -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql holding what
// schema.prisma adds to the existing migrations. The engine replays the migrations into an in-memory
// PGlite (the shadow database), so authoring needs no PostgreSQL server and no native Prisma binary.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pgliteAdapterFactory } from './database.js';
import { findPrismaDir, LOCKFILE_CONTENT, noFilters, readMigrations, withSchemaEngine } from './schema-engine.js';

export interface AuthorPaths {
  /** default: <repo>/prisma/migrations */
  migrationsDir?: string;
  /** default: <repo>/prisma/schema.prisma */
  schemaPath?: string;
}

/** The SQL that takes a database from the migrations' end state to schema.prisma; null when in sync. */
export async function diffMigrationsToSchema(paths: AuthorPaths = {}): Promise<string | null> {
  const { migrationsDir, schemaPath } = await resolvePaths(paths);
  const migrations = await readMigrations(migrationsDir);
  // the engine learns the database kind from the lockfile; a first migration has none yet
  const lockfile = { ...migrations.lockfile, content: migrations.lockfile.content ?? LOCKFILE_CONTENT };
  const schema = { path: 'schema.prisma', content: await readFile(schemaPath, 'utf8') };
  const pglite = await PGlite.create();
  try {
    const result = await withSchemaEngine(await pgliteAdapterFactory(pglite), (engine) =>
      engine.diff({
        from: { tag: 'migrations', ...migrations, lockfile },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: true,
        filters: noFilters,
      }),
    );
    // with exitCode set, the engine answers 2 for "there is a difference" and 0 for none
    return result.exitCode === 2 && result.stdout ? result.stdout : null;
  } finally {
    await pglite.close();
  }
}

/**
 * Writes a new migration folder when schema.prisma differs from the migrations, plus
 * migration_lock.toml when missing. Returns the folder written, or null for "no changes".
 */
export async function authorMigration(name: string, paths: AuthorPaths = {}, now = new Date()): Promise<string | null> {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) throw new Error('a migration name needs at least one letter or digit, e.g. add_roles');
  const resolved = await resolvePaths(paths);
  const script = await diffMigrationsToSchema(resolved);
  await mkdir(resolved.migrationsDir, { recursive: true });
  const lockfile = join(resolved.migrationsDir, 'migration_lock.toml');
  if (!(await exists(lockfile))) await writeFile(lockfile, LOCKFILE_CONTENT);
  if (script === null) return null;

  const folder = `${timestamp(now)}_${slug}`;
  const existing = (await readMigrations(resolved.migrationsDir)).migrationDirectories.map((d) => d.path);
  const last = existing.at(-1);
  // Prisma applies migrations in name order: a folder sorting before the newest would run too early
  if (last !== undefined && folder <= last) {
    throw new Error(`new migration ${folder} would sort before the newest one, ${last}: check the clock`);
  }
  const dir = join(resolved.migrationsDir, folder);
  await mkdir(dir);
  await writeFile(join(dir, 'migration.sql'), script);
  return dir;
}

async function resolvePaths(paths: AuthorPaths): Promise<Required<AuthorPaths>> {
  if (paths.migrationsDir && paths.schemaPath) return paths as Required<AuthorPaths>;
  const prismaDir = await findPrismaDir();
  return {
    migrationsDir: paths.migrationsDir ?? join(prismaDir, 'migrations'),
    schemaPath: paths.schemaPath ?? join(prismaDir, 'schema.prisma'),
  };
}

/** YYYYMMDDHHMMSS in UTC, as `prisma migrate dev` names folders. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function main(args: string[]): Promise<number> {
  const name = args.join(' ');
  if (!name.trim()) {
    console.error('usage: npm run db:diff -- <migration_name>');
    return 2;
  }
  const dir = await authorMigration(name);
  if (dir === null) console.log('no changes: the migrations already match prisma/schema.prisma');
  else console.log(`wrote ${relative(process.cwd(), join(dir, 'migration.sql'))}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
