// The databases the plain-SQL tests run their statements on (PostgreSQL, embedded PGlite), opened in a time zone far
// from UTC: a timestamp read or written as local time is then off by half a day.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createTestServices } from './test-env.js';
import { copyEmbeddedTemplate } from './embedded-template.js';

export const farZone = 'Pacific/Kiritimati';

export type OpenDatabase = () => Promise<{ db: Database; drop(): Promise<void> }>;

/** a database of its own on the local PostgreSQL, migrated from the template */
export const onPostgres: OpenDatabase = async () => {
  const services = await createTestServices();
  return { db: await openDatabase({ kind: 'postgres', url: services.databaseUrl }, { poolMax: 2 }), drop: () => services.drop() };
};

/** an embedded PGlite in a temporary folder, copied from the migrated template */
export const onEmbeddedPglite: OpenDatabase = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-sql-'));
  await copyEmbeddedTemplate(dataDir, 'migrated');
  const db = await openDatabase({ kind: 'embedded', dataDir });
  await migrate(db);
  return { db, drop: () => rm(dataDir, { recursive: true, force: true }) };
};

/**
 * The enclosing suite's hooks: before it, TZ set to `farZone`, the database opened and a tenant created in it (handed
 * to `opened`); after it, TZ as it was and the database closed and dropped.
 */
export function inFarZone(open: OpenDatabase, slugPrefix: string, opened: (db: Database, tenantId: string) => void): void {
  let db: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  let zone: string | undefined;
  before(async () => {
    zone = process.env.TZ;
    process.env.TZ = farZone;
    ({ db, drop } = await open());
    opened(db, (await db.prisma.tenant.create({ data: { slug: `${slugPrefix}-${Date.now().toString(36)}`, name: 'SQL' } })).id);
  });
  after(async () => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    await db?.close();
    await drop?.();
  });
}
