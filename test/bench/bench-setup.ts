// Starts the two targets with what the scenarios need: Tessera (as users run it, on PostgreSQL + Redis) with
// an RS256 and an ES256 tenant made through the CLI, and the bare oidc-provider with the equivalent issuers.
import { randomBytes } from 'node:crypto';
import { OWASP_ARGON2ID } from '../../src/config/argon2-cost.js';
import { runCliInProcess } from '../support/tessera-process.js';
import type { TestServices } from '../support/test-env.js';
import { bareMintPath } from './bare-refresh.js';
import { bareProviderScript, freePort, startServer, tesseraMain, type Launch, type ServerProcess } from './bench-processes.js';

export const loginRedirectUri = 'http://127.0.0.1:9/callback';

export interface Issuer {
  issuer: string;
  alg: 'RS256' | 'ES256';
  clientId: string;
  clientSecret: string;
}

const basic = (i: Issuer) => `Basic ${Buffer.from(`${encodeURIComponent(i.clientId)}:${encodeURIComponent(i.clientSecret)}`).toString('base64')}`;
/** a client_credentials request of the issuer's service client (RFC 6749 §4.4, client_secret_basic) */
export const tokenRequest = (i: Issuer) => ({ url: `${i.issuer}/token`, method: 'POST' as const, headers: { authorization: basic(i), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });

export interface TesseraTarget {
  server: ServerProcess;
  env: Record<string, string>;
  rs256: Issuer;
  es256: Issuer;
}

/** `tessera <argv>` run in this process (the CLI's code, on the bench database): no Node start per fixture */
export async function cli<T>(env: Record<string, string>, argv: string[]): Promise<T> {
  const result = await runCliInProcess(argv, env);
  if (result.code !== 0) throw new Error(`tessera ${argv.slice(0, 2).join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.json as T;
}

async function tenantWithClient(env: Record<string, string>, alg: 'RS256' | 'ES256'): Promise<Issuer> {
  const slug = `bench-${alg.toLowerCase()}-${randomBytes(3).toString('hex')}`;
  const tenant = await cli<{ issuer: string; access_token_alg: string }>(env, ['tenant', 'create', slug, '--name', `Bench ${alg}`, '--access-token-alg', alg]);
  if (tenant.access_token_alg !== alg) throw new Error(`tenant ${slug} has access-token alg ${tenant.access_token_alg}, not ${alg}`);
  const client = await cli<{ client_id: string; client_secret: string }>(env, ['client', 'create', '--tenant', slug, '--name', `Bench ${alg} service`, '--grant', 'client_credentials']);
  return { issuer: tenant.issuer, alg, clientId: client.client_id, clientSecret: client.client_secret };
}

// The test harness's environment hashes with a tiny argon2id cost (fast tests): the bench hashes as users run
// Tessera, at the OWASP cost its login baseline verifies with.
export const tesseraSettings = {
  NODE_ENV: 'test', LOG_LEVEL: 'warn', SEED_DEMO: 'false',
  ARGON2_MEMORY_KIB: String(OWASP_ARGON2ID.memoryKiB), ARGON2_TIME_COST: String(OWASP_ARGON2ID.timeCost),
} as const;

export async function startTesseraTarget(services: TestServices, launch: Launch): Promise<TesseraTarget> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...services.env, ...tesseraSettings, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url };
  const server = await startServer({ name: 'tessera', script: launch.script ?? tesseraMain, env, ...launch, readyUrls: [`${url}/healthz`] });
  try {
    const [rs256, es256] = [await tenantWithClient(env, 'RS256'), await tenantWithClient(env, 'ES256')];
    return { server, env, rs256, es256 };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface LoginFixtures { slug: string; clientId: string; clientSecret: string; users: { email: string; password: string }[] }

/** a first-party client (no consent page) and one user per virtual user, on the RS256 tenant */
export async function loginFixtures(target: TesseraTarget, users: number): Promise<LoginFixtures> {
  const slug = new URL(target.rs256.issuer).pathname.split('/')[2]!;
  const client = await cli<{ client_id: string; client_secret: string }>(target.env, [
    'client', 'create', '--tenant', slug, '--name', 'Bench login', '--redirect-uri', loginRedirectUri,
    '--grant', 'authorization_code', '--first-party',
  ]);
  const created: { email: string; password: string }[] = [];
  // a few at a time: each one hashes (argon2id, OWASP cost) and opens its own database connection
  for (let i = 0; i < users; i += 4) {
    const batch = Array.from({ length: Math.min(4, users - i) }, (_, j) => ({
      email: `bench-${i + j}-${randomBytes(3).toString('hex')}@example.com`,
      password: `Bench-${randomBytes(12).toString('base64url')}`,
    }));
    await Promise.all(batch.map((u) => cli(target.env, ['user', 'create', '--tenant', slug, '--email', u.email, '--password', u.password, '--verified'])));
    created.push(...batch);
  }
  return { slug, clientId: client.client_id, clientSecret: client.client_secret, users: created };
}

/** a confidential client with the default grants (code + refresh_token; consent asked, so offline_access works) */
export async function refreshClient(target: TesseraTarget, slug: string) {
  return cli<{ client_id: string; client_secret: string }>(target.env, ['client', 'create', '--tenant', slug, '--name', 'Bench refresh', '--redirect-uri', loginRedirectUri]);
}

/**
 * A tenant's sandbox environment's backend OTP API app whose recipients get a fixed code (signIn.testRecipients; a
 * sandbox environment only, issue #19), with the send limits raised for the bench: the defaults (5 per identifier,
 * 30 per IP an hour) are meant to stop exactly this.
 */
export async function otpApp(target: TesseraTarget, recipients: number) {
  const slug = `bench-otp-${randomBytes(3).toString('hex')}`;
  await cli(target.env, ['tenant', 'create', slug, '--name', 'Bench OTP']);
  const code = '246810';
  const emails = Array.from({ length: recipients }, (_, i) => `otp-${i}@example.com`);
  const many = { limit: 1_000_000, windowSeconds: 3600 };
  await cli(target.env, ['env', 'create', '--tenant', slug, '--name', 'sandbox']);
  await cli(target.env, ['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', JSON.stringify({
    signIn: { methods: { emailOtp: true }, sandbox: true, testRecipients: Object.fromEntries(emails.map((e) => [e, code])), limits: { perIdentifier: many, perIp: many, perTenant: many } },
  })]);
  const app = await cli<{ app_id: string; app_secret: string }>(target.env, ['app', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'Bench OTP', '--slug', 'bench-otp-app']);
  return { appId: app.app_id, appSecret: app.app_secret, recipients: emails, code };
}

/** turns the REST auth API on for the tenant: `{issuer}/v1/auth/login` with its built-in first-party client */
export async function enableRestApi(target: TesseraTarget, slug: string): Promise<void> {
  await cli(target.env, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
}

export interface BareTarget {
  server: ServerProcess;
  rs256: Issuer;
  es256: Issuer;
  /** POST: a new refresh token of the issuer's refresh client (bare-refresh.ts) */
  mintUrl(issuer: Issuer): string;
}

export async function startBareTarget(launch: Launch): Promise<BareTarget> {
  const specs = await Promise.all((['RS256', 'ES256'] as const).map(async (alg) => ({
    port: await freePort(), alg, clientId: `bench-${alg.toLowerCase()}`, clientSecret: randomBytes(32).toString('base64url'),
  })));
  const issuers = specs.map((s) => `http://127.0.0.1:${s.port}`);
  const controlPort = await freePort();
  const server = await startServer({
    name: 'bare',
    script: bareProviderScript,
    env: { NODE_ENV: tesseraSettings.NODE_ENV, BARE_ISSUERS: JSON.stringify(specs), BARE_CONTROL_PORT: String(controlPort) },
    ...launch,
    readyUrls: issuers.map((issuer) => `${issuer}/.well-known/openid-configuration`),
  });
  const [rs256, es256] = specs.map((s, i) => ({ issuer: issuers[i]!, alg: s.alg, clientId: s.clientId, clientSecret: s.clientSecret }));
  return { server, rs256: rs256!, es256: es256!, mintUrl: (i) => `http://127.0.0.1:${controlPort}${bareMintPath(Number(new URL(i.issuer).port))}` };
}
