// One pure loadConfig(env): validates every setting at once and applies the production rules.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string | undefined;
  readonly publicUrl: URL;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  /** current key-encryption secret first, older ones after (decrypt only) */
  readonly keyEncryptionKeys: readonly string[];
  /** current cookie-signing secret first, older ones after */
  readonly cookieSecrets: readonly string[];
  readonly bcryptCost: number;
  readonly passwordHashThreads: number;
  readonly migrateOnStart: boolean;
  readonly seedDemo: boolean;
  readonly trustProxy: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly providerCacheSize: number;
  /** SMTP server for every tenant without its own (smtp:// or smtps://); none: email goes to the outbox only */
  readonly smtpUrl: string | undefined;
  readonly emailFrom: string | undefined;
  /** where `/` sends browsers (302) instead of Tessera's own home page */
  readonly homeRedirectUrl: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Every key Tessera reads; .env.example documents each (test/unit/config.test.ts keeps them in step). */
export const configSchema = z.object({
  NODE_ENV: optional(z.enum(['development', 'production', 'test'])),
  PORT: optional(z.coerce.number().int().min(0).max(65535)),
  HOST: optional(z.string().min(1)),
  PUBLIC_URL: optional(z.url({ protocol: /^https?$/ })),
  DATA_DIR: optional(z.string().min(1)),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')),
  REDIS_PREFIX: optional(z.string().min(1).max(64)),
  KEY_ENCRYPTION_KEY: optional(z.string().min(32, 'must be at least 32 characters of random data')),
  KEY_ENCRYPTION_KEYS_OLD: optional(list),
  COOKIE_SECRETS: optional(list),
  BCRYPT_COST: optional(z.coerce.number().int().min(4).max(15)),
  PASSWORD_HASH_THREADS: optional(z.coerce.number().int().min(1).max(64)),
  MIGRATE_ON_START: optional(bool),
  SEED_DEMO: optional(bool),
  TRUST_PROXY: optional(bool),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  PROVIDER_CACHE_SIZE: optional(z.coerce.number().int().min(1).max(100_000)),
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')),
  EMAIL_FROM: optional(z.string().min(3).max(254)),
  HOME_REDIRECT_URL: optional(z.url({ protocol: /^https?$/ })),
});

export const configKeys = Object.keys(configSchema.shape);

/**
 * Each key is parsed on its own so a malformed value does not hide the rules other values break: the operator
 * sees every problem in one run.
 * @throws ConfigError listing every problem found
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  const invalid = new Set<string>();
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(env[key]);
    if (result.success) values[key] = result.data;
    else {
      invalid.add(key);
      problems.push(...result.error.issues.map((issue) => `${key}: ${issue.message}`));
    }
  }
  const e = values as z.output<typeof configSchema>;
  const mode = e.NODE_ENV ?? 'development';
  const port = e.PORT ?? 3000;
  const publicUrl = new URL(e.PUBLIC_URL ?? `http://localhost:${port}`);
  const valid = (key: string) => !invalid.has(key);

  if (valid('PUBLIC_URL') && (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash)) {
    problems.push('PUBLIC_URL: must be an origin without path, query or fragment (e.g. https://id.example.com)');
  }
  const why = mode === 'production' ? 'production never generates secrets' : 'development generates one under DATA_DIR';
  if (!e.KEY_ENCRYPTION_KEY && valid('KEY_ENCRYPTION_KEY')) problems.push(`KEY_ENCRYPTION_KEY: required (${why})`);
  if (!e.COOKIE_SECRETS?.length && valid('COOKIE_SECRETS')) problems.push(`COOKIE_SECRETS: required (${why})`);
  if (mode === 'production') {
    if (publicUrl.protocol !== 'https:' && valid('PUBLIC_URL')) problems.push('PUBLIC_URL: production requires an https issuer');
    if (e.COOKIE_SECRETS?.some((s) => s.length < 32)) problems.push('COOKIE_SECRETS: production requires each secret to be at least 32 characters');
    if (e.SEED_DEMO) problems.push('SEED_DEMO: production never seeds demo data');
    if (e.HOME_REDIRECT_URL?.startsWith('http:')) problems.push('HOME_REDIRECT_URL: production requires an https URL');
  }
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    env: mode,
    port,
    host: e.HOST,
    publicUrl,
    dataDir: resolve(e.DATA_DIR ?? 'data'),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX ?? 'tessera:',
    keyEncryptionKeys: Object.freeze([e.KEY_ENCRYPTION_KEY!, ...(e.KEY_ENCRYPTION_KEYS_OLD ?? [])]),
    cookieSecrets: Object.freeze([...e.COOKIE_SECRETS!]),
    bcryptCost: e.BCRYPT_COST ?? 10,
    passwordHashThreads: e.PASSWORD_HASH_THREADS ?? availableParallelism(),
    migrateOnStart: e.MIGRATE_ON_START ?? (mode !== 'production' || !e.DATABASE_URL),
    seedDemo: e.SEED_DEMO ?? mode === 'development',
    trustProxy: e.TRUST_PROXY ?? false,
    logLevel: e.LOG_LEVEL ?? (mode === 'test' ? 'warn' : 'info'),
    providerCacheSize: e.PROVIDER_CACHE_SIZE ?? 100,
    smtpUrl: e.SMTP_URL,
    emailFrom: e.EMAIL_FROM,
    homeRedirectUrl: e.HOME_REDIRECT_URL,
  });
}

/** Where a database-backed command connects: PostgreSQL when configured, else the embedded PGlite folder. */
export function databaseTarget(config: Pick<Config, 'databaseUrl' | 'dataDir'>) {
  return config.databaseUrl
    ? ({ kind: 'postgres', url: config.databaseUrl } as const)
    : ({ kind: 'embedded', dataDir: config.dataDir } as const);
}
