// One pure loadConfig(env): validates every setting at once and applies the production rules.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { productionMarker, productionSignal } from './production-signals.js';
import { parseTrustProxy, trustNoProxy, type TrustProxy } from './trust-proxy.js';
import { outboundPolicies, type OutboundPolicy } from '../net/outbound-guard.js';
import { ARGON2_LIMITS, OWASP_ARGON2ID, owaspProblem, type Argon2Cost } from './argon2-cost.js';

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
  /** argon2id cost of new password hashes for tenants that set none (signIn.passwordHashing) */
  readonly passwordHashCost: Argon2Cost;
  readonly passwordHashThreads: number;
  readonly migrateOnStart: boolean;
  readonly seedDemo: boolean;
  /** which proxies are believed about the client's address (trust-proxy.ts) */
  readonly trustProxy: TrustProxy;
  /** RFC 8705 through the TLS proxy: the headers carrying the client certificate and the proxy's verification result */
  readonly mtls: { readonly certHeader: string; readonly verifyHeader: string | undefined } | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly providerCacheSize: number;
  /** SMTP server for every tenant without its own (smtp:// or smtps://); none: email goes to the outbox only */
  readonly smtpUrl: string | undefined;
  readonly emailFrom: string | undefined;
  /** where tenant-configured URLs (SMS, WhatsApp, SMTP, upstream IdPs) may lead: public https only in production */
  readonly outboundPolicy: OutboundPolicy;
  /** the Prometheus /metrics listener's port, null when metrics are off */
  readonly metricsPort: number | null;
  readonly metricsHost: string;
  /** the periodic audit retention (AUDIT_RETENTION_DAYS, AUDIT_EXPORT_DIR); undefined keeps every entry */
  readonly auditRetention: { readonly days: number; readonly exportDir: string } | undefined;
  /** OpenTelemetry: where spans are sent (OTLP/HTTP, JSON); undefined: tracing is off and nothing of it is loaded */
  readonly otlpTracesUrl: string | undefined;
  readonly otelServiceName: string;
  /** where `/` sends browsers (302) instead of Tessera's own home page */
  readonly homeRedirectUrl: string | undefined;
  /** TESSERA_DEV_TENANT + TESSERA_DEV_SECRET: on only where development is declared and nothing signals production */
  readonly developmentToken: DevelopmentTokenConfig;
  /** a hosting platform's variable or PRODUCTION=true (development-mode.ts): production rules for sandboxes too */
  readonly productionMarker: string | null;
}

export type DevelopmentTokenConfig =
  | { readonly state: 'off' }
  | { readonly state: 'blocked'; readonly blockedBy: string }
  | { readonly state: 'on'; readonly tenant: string; readonly secret: string };

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
  ARGON2_MEMORY_KIB: optional(z.coerce.number().int().min(ARGON2_LIMITS.minMemoryKiB).max(ARGON2_LIMITS.maxMemoryKiB)),
  ARGON2_TIME_COST: optional(z.coerce.number().int().min(ARGON2_LIMITS.minTimeCost).max(ARGON2_LIMITS.maxTimeCost)),
  PASSWORD_HASH_THREADS: optional(z.coerce.number().int().min(1).max(64)),
  MIGRATE_ON_START: optional(bool),
  SEED_DEMO: optional(bool),
  TRUST_PROXY: optional(z.string().transform((value, ctx) => {
    const parsed = parseTrustProxy(value);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  })),
  MTLS_CERT_HEADER: optional(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')),
  MTLS_VERIFY_HEADER: optional(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  PROVIDER_CACHE_SIZE: optional(z.coerce.number().int().min(1).max(100_000)),
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')),
  EMAIL_FROM: optional(z.string().min(3).max(254)),
  OUTBOUND_POLICY: optional(z.enum(outboundPolicies)),
  METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  METRICS_HOST: optional(z.string().min(1)),
  HOME_REDIRECT_URL: optional(z.url({ protocol: /^https?$/ })),
  TESSERA_ENV: optional(z.enum(['development', 'production'])),
  PRODUCTION: optional(z.string()),
  TESSERA_DEV_TENANT: optional(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a tenant slug')),
  TESSERA_DEV_SECRET: optional(z.string().min(32, 'must be at least 32 characters of random data')),
  AUDIT_RETENTION_DAYS: optional(z.coerce.number().int().min(1).max(36_500)),
  AUDIT_EXPORT_DIR: optional(z.string().min(1)),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.url({ protocol: /^https?$/ })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(z.url({ protocol: /^https?$/ })),
  OTEL_SERVICE_NAME: optional(z.string().min(1).max(128)),
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
  const passwordHashCost = { memoryKiB: e.ARGON2_MEMORY_KIB ?? OWASP_ARGON2ID.memoryKiB, timeCost: e.ARGON2_TIME_COST ?? OWASP_ARGON2ID.timeCost };
  if (mode === 'production') {
    const weak = valid('ARGON2_MEMORY_KIB') && valid('ARGON2_TIME_COST') ? owaspProblem(passwordHashCost) : null;
    if (weak) problems.push(`${weak.key}: production requires OWASP's argon2id minimum: ${weak.problem}`);
    if (publicUrl.protocol !== 'https:' && valid('PUBLIC_URL')) problems.push('PUBLIC_URL: production requires an https issuer');
    if (e.COOKIE_SECRETS?.some((s) => s.length < 32)) problems.push('COOKIE_SECRETS: production requires each secret to be at least 32 characters');
    if (e.SEED_DEMO) problems.push('SEED_DEMO: production never seeds demo data');
    if (e.OUTBOUND_POLICY === 'allow-private') problems.push('OUTBOUND_POLICY: production allows only public-https');
    if (e.HOME_REDIRECT_URL?.startsWith('http:')) problems.push('HOME_REDIRECT_URL: production requires an https URL');
  }
  // The certificate header is only read from a trusted proxy (http/client-certificate.ts): without one it never arrives.
  if (e.MTLS_CERT_HEADER && (e.TRUST_PROXY ?? trustNoProxy).kind === 'none') problems.push('MTLS_CERT_HEADER: needs TRUST_PROXY (the header is only accepted from the TLS proxy)');
  if (e.MTLS_VERIFY_HEADER && !e.MTLS_CERT_HEADER) problems.push('MTLS_VERIFY_HEADER: needs MTLS_CERT_HEADER');
  if (Boolean(e.TESSERA_DEV_TENANT) !== Boolean(e.TESSERA_DEV_SECRET) && valid('TESSERA_DEV_TENANT') && valid('TESSERA_DEV_SECRET')) problems.push('TESSERA_DEV_TENANT: needs TESSERA_DEV_SECRET (and the other way round)');
  if (e.TESSERA_DEV_TENANT === 'system') problems.push('TESSERA_DEV_TENANT: the system tenant operates the installation and never has a development token');
  // retention never deletes what it has not exported: it needs somewhere to write
  if (e.AUDIT_RETENTION_DAYS && !e.AUDIT_EXPORT_DIR && valid('AUDIT_EXPORT_DIR')) problems.push('AUDIT_EXPORT_DIR: required with AUDIT_RETENTION_DAYS (entries are exported there before they are pruned)');
  if (problems.length) throw new ConfigError(problems);
  const blockedBy = productionSignal(env);
  const developmentToken: DevelopmentTokenConfig = !e.TESSERA_DEV_TENANT || !e.TESSERA_DEV_SECRET ? { state: 'off' }
    : blockedBy ? { state: 'blocked', blockedBy } : { state: 'on', tenant: e.TESSERA_DEV_TENANT, secret: e.TESSERA_DEV_SECRET };

  return Object.freeze({
    env: mode,
    port,
    // outside production nothing is meant for the network: loopback unless HOST says otherwise (issue #13, finding 7)
    host: e.HOST ?? (mode === 'production' ? undefined : '127.0.0.1'),
    publicUrl,
    dataDir: resolve(e.DATA_DIR ?? 'data'),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX ?? 'tessera:',
    keyEncryptionKeys: Object.freeze([e.KEY_ENCRYPTION_KEY!, ...(e.KEY_ENCRYPTION_KEYS_OLD ?? [])]),
    cookieSecrets: Object.freeze([...e.COOKIE_SECRETS!]),
    passwordHashCost: Object.freeze(passwordHashCost),
    passwordHashThreads: e.PASSWORD_HASH_THREADS ?? availableParallelism(),
    migrateOnStart: e.MIGRATE_ON_START ?? (mode !== 'production' || !e.DATABASE_URL),
    seedDemo: e.SEED_DEMO ?? mode === 'development',
    trustProxy: e.TRUST_PROXY ?? trustNoProxy,
    mtls: e.MTLS_CERT_HEADER ? Object.freeze({ certHeader: e.MTLS_CERT_HEADER.toLowerCase(), verifyHeader: e.MTLS_VERIFY_HEADER?.toLowerCase() }) : undefined,
    logLevel: e.LOG_LEVEL ?? (mode === 'test' ? 'warn' : 'info'),
    providerCacheSize: e.PROVIDER_CACHE_SIZE ?? 100,
    smtpUrl: e.SMTP_URL,
    emailFrom: e.EMAIL_FROM,
    outboundPolicy: e.OUTBOUND_POLICY ?? (mode === 'production' ? 'public-https' : 'allow-private'),
    // 0 turns metrics off; tests (many servers on one machine) have them off unless they ask for a port
    metricsPort: (e.METRICS_PORT ?? (mode === 'test' ? 0 : 9464)) || null,
    metricsHost: e.METRICS_HOST ?? '127.0.0.1',
    homeRedirectUrl: e.HOME_REDIRECT_URL,
    developmentToken: Object.freeze(developmentToken),
    productionMarker: productionMarker(env),
    // the OTLP rule: the signal's own endpoint as given, else the base endpoint with /v1/traces appended
    otlpTracesUrl: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined),
    otelServiceName: e.OTEL_SERVICE_NAME ?? 'tessera',
    auditRetention: e.AUDIT_RETENTION_DAYS ? Object.freeze({ days: e.AUDIT_RETENTION_DAYS, exportDir: resolve(e.AUDIT_EXPORT_DIR!) }) : undefined,
  });
}

/** Where a database-backed command connects: PostgreSQL when configured, else the embedded PGlite folder. */
export function databaseTarget(config: Pick<Config, 'databaseUrl' | 'dataDir'>) {
  return config.databaseUrl
    ? ({ kind: 'postgres', url: config.databaseUrl } as const)
    : ({ kind: 'embedded', dataDir: config.dataDir } as const);
}
