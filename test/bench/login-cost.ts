// `node dist/test/bench/login-cost.js`: what one password login through the whole code flow (the bench's `logins`
// job: authorization request, login page, form post, consent/resume, callback, token exchange; a fresh cookie jar
// each) costs Tessera, in CPU per login rather than logins per second, so that a busy shared machine still compares
// two builds: the server's CPU (all threads, and its main thread alone: the argon2id verify runs in a worker), the
// bench database's PostgreSQL backends' CPU and Redis's, read from /proc around a fixed number of logins, and with
// LOGIN_COST_STATEMENTS=1 every statement of the bench database counted per login by its first words
// (log_statement = all; PostgreSQL's own log must be readable here).
//   LOGIN_COST_REQUESTS (200 counted per round)   LOGIN_COST_WARMUP (100)   LOGIN_COST_ROUNDS (3)
//   LOGIN_COST_CONCURRENCY (4 logins at a time)   LOGIN_COST_LOG (/var/log/postgresql/postgresql-15-main.log)
//   BENCH_INSTR_TESSERA: another build's dist/src/main.js to measure instead (main's, to compare a change with)
//   BENCH_CPU_PROF=1: the server runs with --cpu-prof (written to dist/bench-profiles/ when it stops)
//   LOGIN_COST_TRACE=1: the HTTP requests of one login are listed first (method, path, status)
import { statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from '../support/tessera-process.js';
import { Browser } from '../support/browser.js';
import { codeFlow, discover } from '../support/relying-party.js';
import { adminDatabaseUrl, createBenchServices } from './bench-processes.js';
import { loginFixtures, loginRedirectUri, startTesseraTarget } from './bench-setup.js';
import { cpuOf, cpuOfStat, dbStats, isBackendOf, isRedis, perOperation } from './cost-probes.js';

const counted = Number(process.env.LOGIN_COST_REQUESTS ?? 200);
const warmup = Number(process.env.LOGIN_COST_WARMUP ?? 100);
const rounds = Number(process.env.LOGIN_COST_ROUNDS ?? 3);
const concurrency = Number(process.env.LOGIN_COST_CONCURRENCY ?? 4);
const countStatements = process.env.LOGIN_COST_STATEMENTS === '1';
const pgLog = process.env.LOGIN_COST_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
async function main() {
  const services = await createBenchServices();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  const db = services.databaseName;
  if (countStatements) await admin.query(`ALTER DATABASE ${db} SET log_statement = 'all'`);
  const profiles = join(repoRoot, 'dist', 'bench-profiles');
  mkdirSync(profiles, { recursive: true });
  const launch = {
    ...(process.env.BENCH_INSTR_TESSERA ? { script: process.env.BENCH_INSTR_TESSERA } : {}),
    ...(process.env.BENCH_CPU_PROF === '1' ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`] } : {}),
  };
  const tessera = await startTesseraTarget(services, launch);
  try {
    const fixtures = await loginFixtures(tessera, Math.min(concurrency, 8));
    const config = await discover(tessera.rs256.issuer, fixtures.clientId, fixtures.clientSecret);
    let next = 0;
    const logins = async (count: number) => {
      let left = count;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (left-- > 0) {
          const user = fixtures.users[next++ % fixtures.users.length]!;
          const { tokens } = await codeFlow(config, loginRedirectUri, user, { browser: new Browser() });
          if (!tokens.id_token || !tokens.access_token) throw new Error('token response without id_token or access_token');
        }
      }));
    };
    const server = tessera.server.pid;
    const sample = async () => {
      const stats = await dbStats(admin, db);
      return {
        server: cpuOf((pid) => pid === server),
        main: cpuOfStat(`/proc/${server}/task/${server}/stat`),
        postgres: cpuOf(isBackendOf(db)),
        redis: cpuOf(isRedis),
        stats,
        logBytes: countStatements ? statSync(pgLog).size : 0,
      };
    };
    if (process.env.LOGIN_COST_TRACE === '1') {
      const plain = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const response = await plain(input, init);
        process.stdout.write(`  ${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : String(input)).pathname} ${response.status}\n`);
        return response;
      };
      await codeFlow(config, loginRedirectUri, fixtures.users[0]!, { browser: new Browser() });
      globalThis.fetch = plain;
    }
    await logins(warmup);
    process.stdout.write(`server pid ${server}, database ${db}\n`);
    for (let round = 1; round <= rounds; round++) {
      // pg_stat_database is sent by the backends at most every 0.5 s (PG 15): let the counts settle
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const before = await sample();
      const started = Date.now();
      const startUs = process.hrtime.bigint() / 1000n;
      await logins(counted);
      const endUs = process.hrtime.bigint() / 1000n;
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const after = await sample();
      const { ms, database, statements, load } = perOperation(counted, before, after, 'login', { digits: 2, pgLog: countStatements ? pgLog : undefined });
      process.stdout.write(`round ${round}: ${counted} logins in ${((Date.now() - started) / 1000).toFixed(1)} s, CPU per login: server ${ms(before.server, after.server)} ms (main thread ${ms(before.main, after.main)} ms), PostgreSQL ${ms(before.postgres, after.postgres)} ms, Redis (all of it) ${ms(before.redis, after.redis)} ms; per login: ${database}${statements} (load ${load}; window ${startUs} ${endUs} µs, for cpu-profile.js)\n`);
    }
  } finally {
    await tessera.server.stop();
    if (countStatements) await admin.query(`ALTER DATABASE ${db} RESET log_statement`).catch(() => undefined);
    await admin.end();
    await services.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`login cost failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
