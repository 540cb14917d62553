// Embedded-database folders for the tests that need PGlite but do not test its first start: a copy of a PGlite data
// folder made once (per PGlite version, and per set of migrations for a migrated one) in the temp folder, instead of
// PGlite creating its cluster (initdb) in every file. Measured on the 2-core machine: opening a new folder took about
// 9 CPU-seconds, opening a copy about 2, migrating under 1. A first start from nothing stays tested where it is the
// subject (embedded.test.ts, first-hour.e2e.test.ts).
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { madeOnce, migrationsHash } from './template-database.js';
import { repoRoot } from './tessera-cli.js';

/** `empty`: a new cluster, no migration applied (tests of migrating); `migrated`: every migration applied */
export type EmbeddedState = 'empty' | 'migrated';

const made = new Map<EmbeddedState, Promise<string>>();

function pgliteVersion(): string {
  const manifest = join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** the template's folder, made on first use; a run that crashes while making it leaves only a `-building-` folder */
async function make(state: EmbeddedState): Promise<string> {
  const key = state === 'migrated' ? `migrated-${await migrationsHash()}` : 'empty';
  const dir = join(tmpdir(), `tessera-pglite-${pgliteVersion()}-${key}`);
  const ready = () => existsSync(join(dir, 'PG_VERSION'));
  if (ready()) return dir;
  const building = mkdtempSync(`${dir}-building-`);
  try {
    const db = await openDatabase({ kind: 'embedded', dataDir: building });
    try {
      if (state === 'migrated') await migrate(db);
    } finally {
      await db.close();
    }
    try {
      renameSync(join(building, 'pglite'), dir);
    } catch (error) {
      // another test process made it first: theirs is the same
      if (!ready()) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Puts a copy of the template where the embedded database of DATA_DIR=`dataDir` lives (`dataDir/pglite`), so the
 * server, the CLI or openDatabase opens it instead of creating a cluster.
 */
export async function copyEmbeddedTemplate(dataDir: string, state: EmbeddedState): Promise<void> {
  cpSync(await madeOnce(made, state, make), join(dataDir, 'pglite'), { recursive: true });
}
