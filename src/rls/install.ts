// Installs auth-schema.sql into an application database: `tessera rls install --database-url postgres://...`.
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** the documented SQL file, shipped beside the sources (src/rls/auth-schema.sql) */
export function authSchemaSql(): string {
  return readFileSync(new URL('../../../src/rls/auth-schema.sql', import.meta.url), 'utf8');
}

export async function installAuthSchema(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(authSchemaSql());
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
