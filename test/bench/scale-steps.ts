// Opt-in steps at scale (`npm run bench -- --scale`; BENCH_SCALE_ROWS, default 1,000,000), slow because of the rows
// they write first, straight into the bench database with SQL:
//   expired grants — token throughput (client_credentials and refresh) before and after N expired rows in oidc_models
//   users          — password-login p99 through the whole code flow with 1,000 users in the tenant, then with N
// The rows stay until the bench database is dropped at the end of the run.
import pg from 'pg';
import { quietMachine, runJob } from './bench-jobs.js';
import { loginRedirectUri, refreshClient, tokenRequest, type LoginFixtures, type TesseraTarget } from './bench-setup.js';
import type { GoalRow } from './bench-report.js';
import type { HttpResult, SessionResult } from './load-generator.js';

export const scaleRows = Number(process.env.BENCH_SCALE_ROWS ?? 1_000_000);

export interface ScaleInput {
  tessera: TesseraTarget;
  fixtures: LoginFixtures;
  database: string;
  databaseUrl: string;
  connections: number;
  virtualUsers: number;
  warmupSeconds: number;
  durationSeconds: number;
  failures: string[];
}

async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function tenantId(client: pg.Client, slug: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
  return rows[0]!.id;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * After a million-row write, autovacuum and the checkpointer would otherwise run during the next measurement (and
 * PostgreSQL is not pinned: it shares the server's core): vacuum, analyse and checkpoint first, so the run after
 * measures a grown table at rest, as it is in production between bursts.
 */
async function settle(db: pg.Client, table: string): Promise<void> {
  await db.query(`VACUUM (ANALYZE) ${table}`);
  // needs a superuser or pg_checkpoint (PostgreSQL 15+): without it the next run meets the checkpoint instead
  await db.query('CHECKPOINT').catch(() => undefined);
}

/** client_credentials and refresh rates, then N expired grants, then both again: table growth must not slow tokens */
export async function expiredGrants(input: ScaleInput): Promise<GoalRow[]> {
  const pid = input.tessera.server.pid;
  const client = await refreshClient(input.tessera, input.fixtures.slug);
  const measure = async () => {
    await quietMachine();
    const cc = await runJob<HttpResult>({ kind: 'http', ...tokenRequest(input.tessera.rs256), connections: input.connections, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds }, pid, input.database);
    await quietMachine();
    const refresh = await runJob<SessionResult>({
      kind: 'refreshes', issuer: input.tessera.rs256.issuer, clientId: client.client_id, clientSecret: client.client_secret,
      users: input.fixtures.users, virtualUsers: input.virtualUsers, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
    }, pid, input.database);
    if (refresh.result.errors) input.failures.push(`refresh at scale: ${refresh.result.errors} failed, first: ${refresh.result.firstError}`);
    return { cc: cc.result.requestsPerSecond, refresh: refresh.result.perSecond };
  };
  process.stdout.write('  tokens before the expired grants:\n');
  const before = await measure();
  process.stdout.write(`  client_credentials ${before.cc.toFixed(0)}/s, refresh ${before.refresh.toFixed(1)}/s; writing ${count(scaleRows)} expired grants… `);
  const started = Date.now();
  await withDatabase(input.databaseUrl, async (db) => {
    const id = await tenantId(db, input.fixtures.slug);
    await db.query(`INSERT INTO oidc_models (tenant_id, model, id, payload, grant_id, account_id, expires_at)
      SELECT $1, 'Grant', 'bench-expired-' || g, jsonb_build_object('kind', 'Grant', 'jti', 'bench-expired-' || g), 'bench-expired-' || g, NULL, now() - interval '1 day'
      FROM generate_series(1, $2::int) AS g`, [id, scaleRows]);
    await settle(db, 'oidc_models');
  });
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(0)} s; tokens after them:\n`);
  const after = await measure();
  process.stdout.write(`  client_credentials ${after.cc.toFixed(0)}/s, refresh ${after.refresh.toFixed(1)}/s\n`);
  const row = (what: string, b: number, a: number): GoalRow => ({
    measure: `${what} with ${count(scaleRows)} expired grants vs none`, value: `${(a / b).toFixed(2)}× (${a.toFixed(0)} vs ${b.toFixed(0)}/s)`,
    goal: 'does not fall (≥ 0.9×, run noise)', met: a / b >= 0.9,
  });
  return [row('client_credentials', before.cc, after.cc), row('refresh grant', before.refresh, after.refresh)];
}

/**
 * Password logins through the whole code flow with 1,000 users in the tenant, then with N: the users written here
 * share the first fixture user's password hash (argon2id at the OWASP cost), and the virtual users sign in as
 * users picked at random from all of them.
 */
export async function millionUsers(input: ScaleInput): Promise<GoalRow> {
  const known = input.fixtures.users[0]!;
  const emails = (upTo: number) => Array.from({ length: 200 }, () => ({ email: `scale-${1 + Math.floor(Math.random() * upTo)}@example.com`, password: known.password }));
  const fill = (from: number, to: number) => withDatabase(input.databaseUrl, async (db) => {
    const id = await tenantId(db, input.fixtures.slug);
    const { rows } = await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE tenant_id = $1 AND email = $2', [id, known.email.toLowerCase()]);
    for (let start = from; start <= to; start += 100_000) {
      await db.query(`INSERT INTO users (id, tenant_id, email, email_verified, password_hash, profile, metadata, updated_at)
        SELECT gen_random_uuid(), $1, 'scale-' || g || '@example.com', true, $2, '{}', '{}', now() FROM generate_series($3::int, $4::int) AS g`,
      [id, rows[0]!.password_hash, start, Math.min(to, start + 99_999)]);
    }
    await settle(db, 'users');
  });
  const logins = async (upTo: number) => {
    await quietMachine();
    const { result } = await runJob<SessionResult>({
      kind: 'logins', issuer: input.tessera.rs256.issuer, clientId: input.fixtures.clientId, clientSecret: input.fixtures.clientSecret,
      redirectUri: loginRedirectUri, users: emails(upTo), virtualUsers: input.virtualUsers, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
    }, input.tessera.server.pid, input.database);
    if (result.errors) input.failures.push(`logins among ${count(upTo)} users: ${result.errors} failed, first: ${result.firstError}`);
    return result;
  };
  await fill(1, 1000);
  process.stdout.write('  logins among 1,000 users:\n');
  const small = await logins(1000);
  process.stdout.write(`  p99 ${small.p99Ms.toFixed(0)} ms; writing users up to ${count(scaleRows)}… `);
  const started = Date.now();
  await fill(1001, scaleRows);
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(0)} s; logins among them:\n`);
  const large = await logins(scaleRows);
  process.stdout.write(`  p99 ${large.p99Ms.toFixed(0)} ms\n`);
  const ratio = large.p99Ms / small.p99Ms;
  return {
    measure: `password-login p99, ${count(scaleRows)} users vs 1,000`, value: `${ratio.toFixed(2)}× (${large.p99Ms.toFixed(0)} vs ${small.p99Ms.toFixed(0)} ms)`,
    goal: 'within 10%', met: ratio <= 1.1,
    note: `p50 ${large.p50Ms.toFixed(0)} vs ${small.p50Ms.toFixed(0)} ms; ${large.perSecond.toFixed(1)} vs ${small.perSecond.toFixed(1)} logins/s`,
  };
}
