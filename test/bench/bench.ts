// `npm run bench`: Tessera (PostgreSQL + Redis) against a bare oidc-provider (in-memory), one after the other,
// on the token endpoint (client_credentials, JWT access tokens RS256/ES256), discovery and JWKS; then password
// logins through the hosted form against the bare argon2id verify rate on the same cores. Prints a table,
// a markdown table for README, and writes dist/bench-results.json. Exits non-zero when a request failed.
//   BENCH_DURATION (10 s), BENCH_WARMUP (2 s), BENCH_REFRESH_WARMUP (15 s: the refresh steps'), BENCH_CONNECTIONS (32), BENCH_LOGIN_USERS (4 × cores),
//   BENCH_ROUNDS (1): Tessera/bare pairs per scenario, alternating; the ratio is of the medians
//   BENCH_ONLY=verify,token-rs256,token-es256,discovery,jwks,idle,logins,refresh,rest-login,otp-login,two-processes,tenants
//   --scale (or BENCH_SCALE=1): also expired-grants and million-users (BENCH_SCALE_ROWS, 1,000,000; see scale-steps.ts)
//   BENCH_QUIET_WAIT (60 s, see quietMachine)   BENCH_TENANTS (1000)   BENCH_PIN=0 (see cpu-pinning.ts)
//   BENCH_CPU_PROF=1: servers run with --cpu-prof (dist/bench-profiles); each measured window is summarised
//   BENCH_INSTR_TESSERA: another build's dist/src/main.js to run as Tessera (main's, to compare a change with)
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { OWASP_ARGON2ID } from '../../src/config/argon2-cost.js';
import { repoRoot } from '../support/tessera-process.js';
import { createBenchServices, serviceVersions, type ServerProcess } from './bench-processes.js';
import { loginFixtures, loginRedirectUri, tokenRequest, type LoginFixtures, startBareTarget, startTesseraTarget, tesseraSettings, type Issuer, type TesseraTarget } from './bench-setup.js';
import type { HashBaselineResult, HttpJob, HttpResult, Job, LoadMessage, SessionResult } from './load-generator.js';
import { machineDescription } from './proc-sampler.js';
import { consoleReport, cpuPerRequest, loginTarget, markdownReport, ratiosOf, type BenchReport, type LoginSection, type ScenarioRun, type Target, type Window } from './bench-report.js';
import { quietMachine, runJob } from './bench-jobs.js';
import { pinning, pinningNote } from './cpu-pinning.js';
import { profileProcess, summariseProfile } from './cpu-profile.js';
import { twoProcesses } from './process-steps.js';
import { expiredGrants, millionUsers } from './scale-steps.js';
import { measureBareRefresh, measureJsonLogins, measureOtpLogins, measureRefresh } from './session-steps.js';
import { idleRss, touchTenants } from './tenant-steps.js';
import { measureVerify, verifyLine } from './verify-bench.js';
import { loadTool, loadToolNote } from './wrk-load.js';

const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 2);
/**
 * The refresh steps' warm-up (bare and Tessera alike). A refresh runs code the token scenarios never reached (the
 * grant's rotation, the adapters, the ID token): its CPU per refresh kept falling for several thousand refreshes
 * (≈1.85 ms in the first 2,000 to ≈1.3 ms by the third 2,000, in both builds measured: docs/benchmarks.md), so
 * two seconds measured a server still compiling it.
 */
const refreshWarmupSeconds = Number(process.env.BENCH_REFRESH_WARMUP ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const cores = availableParallelism();
const virtualUsers = Number(process.env.BENCH_LOGIN_USERS ?? cores * 4);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const wanted = (name: string) => !only || only.has(name);
/** `npm run bench -- --scale`: also the steps that first write a million rows (scale-steps.ts) */
const scale = process.argv.includes('--scale') || process.env.BENCH_SCALE === '1';
const profileDir = process.env.BENCH_CPU_PROF ? join(repoRoot, 'dist', 'bench-profiles') : null;
const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

/** each server profile cut into the scenarios' windows: where that server's time went in each */
function profileSummaries(dir: string, known: Set<string>, report: BenchReport, pids: Record<Target, number>): string {
  const out: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !known.has(f))) {
    const owner = profileProcess(file);
    const target = (Object.keys(pids) as Target[]).find((t) => pids[t] === owner?.pid);
    if (!target) continue;
    const thread = owner!.thread === 0 ? 'main thread' : `worker thread ${owner!.thread}`;
    const windows: [string, Window][] = report.runs.filter((r) => r.target === target).map((r) => [r.scenario, r.window]);
    if (target === 'tessera' && report.login) windows.push(['logins', report.login.loginWindow]);
    for (const goal of report.goals) if (goal.window && (goal.target ?? 'tessera') === target) windows.push([goal.measure, goal.window]);
    for (const [scenario, window] of windows) {
      out.push(`\n=== ${target} ${thread}, ${scenario} (${join(dir, file)} ${window.startUs} ${window.endUs}) ===\n${summariseProfile(join(dir, file), { window })}`);
    }
  }
  return out.join('\n');
}

interface Scenario {
  name: string;
  issuer: 'rs256' | 'es256';
  request(issuer: Issuer, jwksUri: string): Omit<HttpJob, 'kind' | 'connections' | 'warmupSeconds' | 'durationSeconds'>;
  /** @throws when the preflight response is not what the scenario means to measure */
  check(body: string, issuer: Issuer): void;
}

function checkToken(body: string, i: Issuer) {
  const response = JSON.parse(body) as { access_token?: string; token_type?: string };
  if (!response.access_token || response.token_type !== 'Bearer') throw new Error(`not a token response: ${body.slice(0, 300)}`);
  const header = jose.decodeProtectedHeader(response.access_token);
  const claims = jose.decodeJwt(response.access_token);
  if (header.alg !== i.alg || header.typ !== 'at+jwt') throw new Error(`access token header ${JSON.stringify(header)}, expected an ${i.alg} at+jwt`);
  if (claims.aud !== `${i.issuer}/api` || claims.iss !== i.issuer) throw new Error(`access token claims ${JSON.stringify(claims)}`);
}

const scenarios: Scenario[] = [
  { name: 'token-rs256', issuer: 'rs256', request: tokenRequest, check: checkToken },
  { name: 'token-es256', issuer: 'es256', request: tokenRequest, check: checkToken },
  { name: 'discovery', issuer: 'rs256', request: (i) => ({ url: `${i.issuer}/.well-known/openid-configuration`, method: 'GET', headers: {} }), check: (body, i) => { if ((JSON.parse(body) as { issuer?: string }).issuer !== i.issuer) throw new Error('discovery names another issuer'); } },
  { name: 'jwks', issuer: 'rs256', request: (_i, jwksUri) => ({ url: jwksUri, method: 'GET', headers: {} }), check: (body) => { if ((JSON.parse(body) as { keys?: unknown[] }).keys?.length !== 3) throw new Error(`JWKS: ${body.slice(0, 200)}`); } },
];

async function measureScenario(scenario: Scenario, target: Target, server: ServerProcess, issuers: { rs256: Issuer; es256: Issuer }, database: string, failures: string[]): Promise<ScenarioRun> {
  const issuer = issuers[scenario.issuer];
  const jwksUri = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json() as { jwks_uri: string }).jwks_uri;
  const request = scenario.request(issuer, jwksUri);
  const preflight = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const body = await preflight.text();
  if (preflight.status !== 200) throw new Error(`${scenario.name} on ${target}: ${preflight.status} ${body.slice(0, 300)}`);
  scenario.check(body, issuer);
  await quietMachine();
  process.stdout.write(`  ${scenario.name} on ${target}… `);
  const { result, usage, window } = await runJob<HttpResult>({ kind: 'http', ...request, connections, warmupSeconds, durationSeconds }, server.pid, database);
  const failed = result.non2xx + result.errors + result.timeouts;
  process.stdout.write(`${result.requestsPerSecond.toFixed(0)} req/s${failed ? ` — ${failed} REQUESTS FAILED` : ''}\n`);
  if (failed) failures.push(`${scenario.name} on ${target}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts (status codes ${JSON.stringify(result.statusCodes)})`);
  return { scenario: scenario.name, target, http: result, usage, cpuUsPerRequest: cpuPerRequest(usage, result.requestsPerSecond), window };
}

/** the argon2id baseline at Tessera's cost (Tessera idle), then password logins through the hosted form */
async function measureLogins(tessera: TesseraTarget, fixtures: LoginFixtures, database: string, failures: string[]): Promise<LoginSection> {
  const server = tessera.server.pid;
  const cost = OWASP_ARGON2ID;
  const threads = pinning ? 1 : cores;
  await quietMachine();
  process.stdout.write(`  argon2id baseline, ${threads} worker thread(s) on Tessera's core(s) (Tessera idle)… `);
  const baseline = await runJob<HashBaselineResult>({ kind: 'hash', threads, ...cost, warmupSeconds, durationSeconds }, server, database);
  process.stdout.write(`${baseline.result.comparesPerSecond.toFixed(1)} compares/s\n`);
  await quietMachine();
  process.stdout.write(`  logins, ${virtualUsers} virtual users… `);
  const logins = await runJob<SessionResult>({
    kind: 'logins', issuer: tessera.rs256.issuer, clientId: fixtures.clientId, clientSecret: fixtures.clientSecret,
    redirectUri: loginRedirectUri, users: fixtures.users, virtualUsers, warmupSeconds, durationSeconds,
  }, server, database);
  process.stdout.write(`${logins.result.perSecond.toFixed(1)} logins/s\n`);
  if (logins.result.errors) failures.push(`logins: ${logins.result.errors} failed, first: ${logins.result.firstError}`);
  const ratio = logins.result.perSecond / baseline.result.comparesPerSecond;
  const perLogin = (used: number) => (used / logins.result.perSecond) * 1000;
  const { cpu } = logins.usage;
  const cpuMsPerLogin = { server: perLogin(cpu.server), postgres: perLogin(cpu.postgres), redis: perLogin(cpu.redis), loadGenerator: perLogin(cpu.loadGenerator) };
  const cpuMsPerCompare = (baseline.usage.cpu.loadGenerator / baseline.result.comparesPerSecond) * 1000;
  return {
    virtualUsers, hashCost: `argon2id m=${cost.memoryKiB} KiB, t=${cost.timeCost}`, logins: logins.result, loginUsage: logins.usage, loginWindow: logins.window,
    baseline: baseline.result, baselineUsage: baseline.usage,
    cpuMsPerLogin, cpuMsPerCompare, cpuBoundRatio: cpuMsPerCompare / Object.values(cpuMsPerLogin).reduce((a, b) => a + b, 0),
    ratio, target: loginTarget, met: ratio >= loginTarget,
  };
}

async function main() {
  const started = Date.now();
  const [machine, versions] = [machineDescription(), await serviceVersions()];
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: { cores, cpuModel: machine.model, cpuMhz: machine.mhz, memoryGb: machine.memoryGb, kernel: release(), node: process.version, ...versions },
    settings: { durationSeconds, warmupSeconds, connections, rounds, tesseraNodeEnv: tesseraSettings.NODE_ENV, tesseraLogLevel: tesseraSettings.LOG_LEVEL, loadGenerator: loadToolNote(loadTool()), pinning: pinningNote(), profiling: Boolean(profileDir) },
    runs: [],
    ratios: [],
    login: null,
    goals: [],
    failures: [],
  };
  process.stdout.write(`Tessera bench — ${cores} cores, ${machine.model}, Node ${process.version}; ${pinningNote()}${profileDir ? ' — CPU profiling on' : ''}\n`);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const profilesBefore = new Set(profileDir ? readdirSync(profileDir) : []);

  // CPU-only and in this process: measured before any server starts
  if (wanted('verify')) {
    report.verify = await measureVerify();
    process.stdout.write(`${verifyLine(report.verify)}\n`);
  }
  if (only && [...only].every((name) => name === 'verify')) return finish(report, started);

  const services = await createBenchServices();
  const running: ServerProcess[] = [];
  const pids: Record<Target, number> = { tessera: 0, bare: 0 };
  const cleanup = async () => {
    await Promise.allSettled(running.splice(0).map((s) => s.stop()));
    await services.drop();
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const tessera = await startTesseraTarget(services, { nodeArgs, ...(process.env.BENCH_INSTR_TESSERA ? { script: process.env.BENCH_INSTR_TESSERA } : {}) });
    running.push(tessera.server);
    const bare = await startBareTarget({ nodeArgs });
    running.push(bare.server);
    Object.assign(pids, { tessera: tessera.server.pid, bare: bare.server.pid });
    process.stdout.write(`Tessera pid ${tessera.server.pid} at ${new URL(tessera.rs256.issuer).origin}, bare oidc-provider pid ${bare.server.pid}\n`);
    if (wanted('idle')) report.goals.push(await idleRss(pids));

    for (const scenario of scenarios.filter((s) => wanted(s.name))) {
      // rounds alternate the targets, so a noisy stretch of a shared machine hits both; the median counts
      for (let round = 0; round < rounds; round++) {
        report.runs.push(await measureScenario(scenario, 'tessera', tessera.server, tessera, services.databaseName, report.failures));
        report.runs.push(await measureScenario(scenario, 'bare', bare.server, bare, services.databaseName, report.failures));
      }
    }
    report.ratios = ratiosOf(report.runs);
    // the library's own refresh-vs-client_credentials ratio, read beside Tessera's (measureRefresh)
    if (wanted('refresh')) {
      const bareCcRate = report.ratios.find((r) => r.scenario === 'token-rs256')?.bare ?? null;
      report.goals.push(await measureBareRefresh({ bare, database: services.databaseName, warmupSeconds: refreshWarmupSeconds, durationSeconds, failures: report.failures }, bareCcRate, connections));
    }
    await bare.server.stop();

    const scaleSteps = scale ? ['expired-grants', 'million-users'].filter(wanted) : [];
    const sessions = ['logins', 'refresh', 'rest-login', 'otp-login'].some(wanted) || scaleSteps.length ? await loginFixtures(tessera, virtualUsers) : null;
    if (sessions && wanted('logins')) report.login = await measureLogins(tessera, sessions, services.databaseName, report.failures);
    const input = sessions && { tessera, database: services.databaseName, slug: sessions.slug, users: sessions.users, virtualUsers, warmupSeconds, durationSeconds, failures: report.failures };
    // the median of the rounds, as the token table reports it (ratiosOf)
    const ccRate = report.ratios.find((r) => r.scenario === 'token-rs256')?.tessera ?? null;
    if (input && wanted('refresh')) report.goals.push(await measureRefresh({ ...input, warmupSeconds: refreshWarmupSeconds }, ccRate, connections));
    if (input && wanted('rest-login')) report.goals.push(await measureJsonLogins(input, report.login?.logins.perSecond ?? null));
    if (input && wanted('otp-login')) report.goals.push(await measureOtpLogins(input));
    if (wanted('two-processes')) report.goals.push(await twoProcesses({ tessera, database: services.databaseName, connections, warmupSeconds, durationSeconds, failures: report.failures }));
    if (wanted('tenants')) report.goals.push(...await touchTenants(tessera));
    if (sessions && scaleSteps.length) {
      const input = { tessera, fixtures: sessions, database: services.databaseName, databaseUrl: services.databaseUrl, connections, virtualUsers, warmupSeconds, durationSeconds, failures: report.failures };
      if (scaleSteps.includes('expired-grants')) report.goals.push(...await expiredGrants(input));
      if (scaleSteps.includes('million-users')) report.goals.push(await millionUsers(input));
    }
  } finally {
    await cleanup();
  }
  finish(report, started, profileDir ? () => profileSummaries(profileDir, profilesBefore, report, pids) : undefined);
}

function finish(report: BenchReport, started: number, profiles?: () => string) {
  const resultsFile = join(repoRoot, 'dist', 'bench-results.json');
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${consoleReport(report)}\nMarkdown for README:\n\n${markdownReport(report)}\n\nResults: ${resultsFile} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  if (profiles) process.stdout.write(`${profiles()}\n`);
  if (report.failures.length) {
    process.stderr.write(`\nBENCH FAILED: ${report.failures.length} run(s) had failed requests (see above).\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
