// `node dist/test/bench/refresh-cost.js`: what one refresh-grant redemption costs Tessera, in CPU per refresh rather
// than refreshes per second, so that a busy shared machine (which slows a request but hardly changes the work it does)
// still compares two builds: the server's CPU (all threads), the bench database's PostgreSQL backends' CPU and Redis's,
// read from /proc around a fixed number of refreshes, and what PostgreSQL did for them (transactions, rows read and
// written: pg_stat_database). With REFRESH_COST_STATEMENTS=1 every statement of the bench database is logged
// (log_statement = all, PostgreSQL's own log must be readable here) and counted per refresh, by its first words.
//   REFRESH_COST_REQUESTS (2,000 counted per round)   REFRESH_COST_WARMUP (800)   REFRESH_COST_ROUNDS (3)
//   REFRESH_COST_CONCURRENCY (4 chains refreshing at a time)   REFRESH_COST_LOG (/var/log/postgresql/postgresql-15-main.log)
//   BENCH_INSTR_TESSERA: another build's dist/src/main.js to measure instead (main's, to compare a change with)
//   BENCH_CPU_PROF=1: the server runs with --cpu-prof (written to dist/bench-profiles/ when it stops)
//   BENCH_NODE_ARGS: more options for the server's node, space-separated (e.g. V8's --trace-gc-nvp)
//   REFRESH_COST_CALLGRIND=1: the server runs under valgrind's callgrind, instrumented only around each round's
//   refreshes: instructions per refresh (all its threads), which other processes' load does not move (slow: use
//   REFRESH_COST_REQUESTS=300 REFRESH_COST_WARMUP=300 or so; a sign-in or refresh answered 503 is sent again)
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { repoRoot } from '../support/tessera-process.js';
import { discover, oidc, signInOffline } from '../support/relying-party.js';
import { adminDatabaseUrl, createBenchServices } from './bench-processes.js';
import { loginFixtures, refreshClient, startTesseraTarget } from './bench-setup.js';
import { cpuOf, dbStats, isBackendOf, isRedis, perOperation } from './cost-probes.js';

const counted = Number(process.env.REFRESH_COST_REQUESTS ?? 2000);
const warmup = Number(process.env.REFRESH_COST_WARMUP ?? 800);
const rounds = Number(process.env.REFRESH_COST_ROUNDS ?? 3);
const concurrency = Number(process.env.REFRESH_COST_CONCURRENCY ?? 4);
const countStatements = process.env.REFRESH_COST_STATEMENTS === '1';
const pgLog = process.env.REFRESH_COST_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
const callgrind = process.env.REFRESH_COST_CALLGRIND === '1';
const callgrindDir = join(repoRoot, 'dist', 'bench-callgrind');

/** under valgrind a store call may cross Tessera's timeouts: answered 503, the step is tried again */
async function retried<T>(step: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await step();
    } catch (error) {
      const status = (error as { status?: number; cause?: { status?: number } }).status ?? (error as { cause?: { status?: number } }).cause?.status;
      if (!callgrind || tries >= 5 || (status !== 503 && !/store\.unavailable|temporarily_unavailable/.test(String((error as Error).message)))) throw error;
    }
  }
}

/** `callgrind_control <args> <pid>`, with the server's vgdb pipe names (LOGNAME, USER, HOST as it has them) */
async function control(pid: number, args: string[]): Promise<void> {
  const server = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const name of ['LOGNAME', 'USER', 'HOST']) if (server[name] !== undefined) env[name] = server[name];
  const { stdout } = await promisify(execFile)('callgrind_control', [...args, String(pid)], { env });
  if (!/OK/.test(stdout)) throw new Error(`callgrind_control ${args.join(' ')}: ${stdout}`);
}

function instructionsOf(pid: number): number {
  const files = readdirSync(callgrindDir).filter((f) => f.startsWith(`callgrind.${pid}`)).map((f) => join(callgrindDir, f));
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(newest, 'utf8'));
  if (!total) throw new Error(`no instruction total in ${newest}`);
  return Number(total[1]);
}

async function main() {
  const services = await createBenchServices();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  const db = services.databaseName;
  if (countStatements) await admin.query(`ALTER DATABASE ${db} SET log_statement = 'all'`);
  // REFRESH_COST_EXPLAIN=1: every statement's plan in PostgreSQL's log too (auto_explain), to see which one reads what
  if (process.env.REFRESH_COST_EXPLAIN === '1') {
    for (const setting of [`session_preload_libraries = 'auto_explain'`, 'auto_explain.log_min_duration = 0', 'auto_explain.log_analyze = on']) await admin.query(`ALTER DATABASE ${db} SET ${setting}`);
  }
  const profiles = join(repoRoot, 'dist', 'bench-profiles');
  mkdirSync(profiles, { recursive: true });
  mkdirSync(callgrindDir, { recursive: true });
  const launch = {
    ...(callgrind ? { wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(callgrindDir, 'callgrind.%p')}`], readyTimeoutMs: 900_000 } : {}),
    ...(process.env.BENCH_INSTR_TESSERA ? { script: process.env.BENCH_INSTR_TESSERA } : {}),
    nodeArgs: [...(process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
  };
  const tessera = await startTesseraTarget(services, launch);
  const bench = new pg.Client({ connectionString: services.databaseUrl });
  try {
    await bench.connect();
    const fixtures = await loginFixtures(tessera, Math.min(concurrency, 4));
    const client = await refreshClient(tessera, fixtures.slug);
    const config = await discover(tessera.rs256.issuer, client.client_id, client.client_secret);
    // under valgrind a request that meets a dump or a major GC takes longer than openid-client's 30 s
    if (callgrind) config.timeout = 600;
    const chains: string[] = [];
    for (let i = 0; i < concurrency; i++) chains.push((await retried(() => signInOffline(config, fixtures.users[i % fixtures.users.length]!))).refresh_token!);
    const refreshes = async (count: number) => {
      let left = count;
      await Promise.all(chains.map(async (_, chain) => {
        while (left-- > 0) {
          const tokens = await retried(() => oidc.refreshTokenGrant(config, chains[chain]!));
          if (!tokens.access_token || !tokens.id_token) throw new Error('refresh answered without an access token or id token');
          chains[chain] = tokens.refresh_token ?? chains[chain]!;
        }
      }));
    };
    const server = tessera.server.pid;
    const readsOf = async () => new Map((await bench.query<{ name: string; n: string }>(
      `SELECT 'index ' || indexrelname AS name, idx_tup_read AS n FROM pg_stat_user_indexes UNION ALL
       SELECT 'seq ' || relname, seq_tup_read FROM pg_stat_user_tables`)).rows.map((r) => [r.name, Number(r.n)]));
    const sample = async () => {
      const stats = await dbStats(admin, db);
      return {
        server: cpuOf((pid) => pid === server),
        postgres: cpuOf(isBackendOf(db)),
        redis: cpuOf(isRedis),
        stats,
        logBytes: countStatements ? statSync(pgLog).size : 0,
        // rows read per index and per table (sequential scans): which statement's plan reads more than it returns
        reads: await readsOf(),
      };
    };
    await refreshes(warmup);
    process.stdout.write(`server pid ${server}, database ${db}, Redis prefix ${services.redisPrefix}\n`);
    for (let round = 1; round <= rounds; round++) {
      // pg_stat_database is sent by the backends at most every 0.5 s (PG 15): let the counts settle on both sides
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const before = await sample();
      // callgrind_control acts when the server next runs: a refresh keeps it running until the command is done
      const keepBusy = async (command: Promise<void>) => { let done = false; const c = command.finally(() => { done = true; }); while (!done) await refreshes(1); await c; };
      if (callgrind) {
        await keepBusy(control(server, ['--zero']));
        await keepBusy(control(server, ['--instr=on']));
      }
      const started = Date.now();
      const startUs = process.hrtime.bigint() / 1000n;
      await refreshes(counted);
      const endUs = process.hrtime.bigint() / 1000n;
      let instructions = '';
      if (callgrind) {
        await keepBusy(control(server, ['--dump']));
        await keepBusy(control(server, ['--instr=off']));
        instructions = `${(instructionsOf(server) / counted / 1e6).toFixed(3)} M instructions per refresh (server, callgrind); `;
      }
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const after = await sample();
      const { ms, database, statements, load } = perOperation(counted, before, after, 'refresh', { digits: 3, hits: true, pgLog: countStatements ? pgLog : undefined });
      const reads = [...after.reads].map(([name, n]) => [name, (n - (before.reads.get(name) ?? 0)) / counted] as const)
        .filter(([, n]) => n >= 0.5).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ');
      process.stdout.write(`round ${round}: ${counted} refreshes in ${((Date.now() - started) / 1000).toFixed(1)} s, ${instructions}CPU per refresh: server ${ms(before.server, after.server)} ms, PostgreSQL ${ms(before.postgres, after.postgres)} ms, Redis (all of it) ${ms(before.redis, after.redis)} ms; per refresh: ${database}; rows read per refresh: ${reads}${statements} (load ${load}; window ${startUs} ${endUs} µs, for cpu-profile.js)\n`);
    }
  } finally {
    await tessera.server.stop();
    await bench.end().catch(() => undefined);
    if (countStatements) await admin.query(`ALTER DATABASE ${db} RESET log_statement`).catch(() => undefined);
    await admin.end();
    await services.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`refresh cost failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
