// Real services for a test file: a throwaway PostgreSQL database and a Redis key prefix of its own.
// TEST_DATABASE_URL (default postgres@127.0.0.1:5432) and TEST_REDIS_URL (default 127.0.0.1:6379) point elsewhere.
// The database is a clone of a template migrated once (per set of migrations), not migrated again per file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { RedisClient } from '@redis/client';
import { migratedTemplate } from './template-database.js';

export const adminDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestServices {
  readonly databaseName: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** environment for a Tessera process using these services */
  readonly env: Record<string, string>;
  /** drops the database and deletes the keys; a second call waits for the first instead of dropping again */
  drop(): Promise<void>;
}

export interface TestServicesOptions {
  /** the database name (and Redis prefix) starts with this, e.g. `tessera_t_bench_` */
  namePrefix?: string;
  adminDatabaseUrl?: string;
  redisUrl?: string;
  /** an empty database instead of a clone of the migrated template (tests of migrating itself) */
  unmigrated?: boolean;
}

/** one client class for the process (createClient builds one, every command attached, per options object) */
const newRedisClient = RedisClient.factory({});

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.href;
}

export async function createTestServices(options: TestServicesOptions = {}): Promise<TestServices> {
  const admin = options.adminDatabaseUrl ?? adminDatabaseUrl;
  const redis = options.redisUrl ?? redisUrl;
  const name = `${options.namePrefix ?? 'tessera_t_'}${randomBytes(6).toString('hex')}`;
  const template = options.unmigrated ? null : await migratedTemplate(admin);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  await client.end();
  const databaseUrl = withDatabase(admin, name);
  const redisPrefix = `${name}:`;
  let dropped: Promise<void> | undefined;
  return {
    databaseName: name,
    databaseUrl,
    redisUrl: redis,
    redisPrefix,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis,
      REDIS_PREFIX: redisPrefix,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      COOKIE_SECRETS: randomBytes(32).toString('base64url'),
      // a clone is already at the latest migration (start-up still refuses a database with pending ones)
      MIGRATE_ON_START: template ? 'false' : 'true',
      SEED_DEMO: 'false',
      // cheap argon2id: tests check behaviour, not cost (production refuses this below OWASP's floor)
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      NODE_ENV: 'test',
    },
    drop() {
      dropped ??= dropServices(admin, name, redis, redisPrefix);
      return dropped;
    },
  };
}

async function dropServices(admin: string, name: string, redisUrl: string, redisPrefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
  const redis = newRedisClient({ url: redisUrl });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 500 })) {
    if (keys.length) await redis.del(keys);
  }
  await redis.quit();
}

/**
 * The test environment's cheap argon2id cost is refused in production (OWASP's floor). A test that starts a server or
 * the CLI with NODE_ENV=production on top of that environment gets OWASP's cheapest allowed setting instead.
 */
export function productionSafeHashCost(env: Record<string, string>): Record<string, string> {
  if (env.NODE_ENV !== 'production' || env.ARGON2_MEMORY_KIB !== '1024') return env;
  return { ...env, ARGON2_MEMORY_KIB: '7168', ARGON2_TIME_COST: '5' };
}
