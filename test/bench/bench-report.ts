// The bench's results: one shape for the JSON file, a console table and a markdown table for README.
import type { HashBaselineResult, HttpResult, SessionResult } from './load-generator.js';
import type { WindowUsage } from './proc-sampler.js';
import { verifyLine, type VerifyBenchResult } from './verify-bench.js';

export const throughputTarget = 0.9;
export const loginTarget = 0.85;

export type Target = 'tessera' | 'bare';

/** a measured window on CLOCK_MONOTONIC, µs (as process.hrtime and V8 CPU profiles) */
export interface Window { startUs: number; endUs: number }

export interface ScenarioRun {
  scenario: string;
  target: Target;
  http: HttpResult;
  usage: WindowUsage;
  /** CPU time per request, µs: the server process (all threads), and the stack (server + PostgreSQL + Redis) */
  cpuUsPerRequest: { server: number; stack: number };
  window: Window;
}

export interface Ratio {
  scenario: string;
  tessera: number;
  bare: number;
  /** Tessera/bare of requests per second, the median of the rounds' pairs: the target */
  ratio: number;
  target: number;
  met: boolean;
  /** bare/Tessera of CPU per request of the whole stack (server + PostgreSQL + Redis), median over the rounds: what the ratio would be
   *  if CPU were the only limit and nothing else ran on the machine — a cross-check that noise cannot move much */
  cpuRatio: number;
}

export function cpuPerRequest(usage: WindowUsage, requestsPerSecond: number): ScenarioRun['cpuUsPerRequest'] {
  const { server, postgres, redis } = usage.cpu;
  return { server: (server / requestsPerSecond) * 1e6, stack: ((server + postgres + redis) / requestsPerSecond) * 1e6 };
}

export interface LoginSection {
  virtualUsers: number;
  /** the hasher and cost Tessera and the baseline both use */
  hashCost: string;
  logins: SessionResult;
  loginUsage: WindowUsage;
  loginWindow: Window;
  baseline: HashBaselineResult;
  baselineUsage: WindowUsage;
  /** CPU per login, ms, by party (the load generator's share is the client side of the flow) */
  cpuMsPerLogin: { server: number; postgres: number; redis: number; loadGenerator: number };
  /** CPU per hash check in the baseline, ms */
  cpuMsPerCompare: number;
  /** the ratio CPU alone allows when every party shares the machine's cores: ms per compare ÷ ms per login */
  cpuBoundRatio: number;
  ratio: number;
  target: number;
  met: boolean;
}

/** one line of issue 15's goal table that is not a Tessera/bare pair: refresh, memory, cold tenants, JSON logins, scale */
export interface GoalRow {
  measure: string;
  value: string;
  goal: string;
  /** null: measured for the record, no goal */
  met: boolean | null;
  note?: string;
  /** the measured window, for BENCH_CPU_PROF's summaries */
  window?: Window;
  /** whose window it is (Tessera unless said) */
  target?: Target;
}

export interface BenchReport {
  date: string;
  machine: { cores: number; cpuModel: string; cpuMhz: number | null; memoryGb: number | null; kernel: string; node: string; postgres: string; redis: string };
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; rounds: number; tesseraNodeEnv: string; tesseraLogLevel: string; loadGenerator: string; pinning: string; profiling: boolean };
  runs: ScenarioRun[];
  ratios: Ratio[];
  login: LoginSection | null;
  /** tessera/verify against raw jose.jwtVerify (verify-bench.ts); null when not run */
  verify?: VerifyBenchResult | null;
  goals: GoalRow[];
  failures: string[];
}

/** the run with the median rate among a target's rounds of a scenario (BENCH_ROUNDS alternates the targets) */
export function medianRun(runs: ScenarioRun[], scenario: string, target: Target): ScenarioRun | undefined {
  const mine = runs.filter((r) => r.scenario === scenario && r.target === target).sort((a, b) => a.http.requestsPerSecond - b.http.requestsPerSecond);
  return mine[Math.floor((mine.length - 1) / 2)];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
};

/**
 * Each round's Tessera run is paired with the bare run right after it (both met the same stretch of a shared
 * machine): the ratios are the medians of the pairs' ratios, the rates the medians of each target's runs.
 */
export function ratiosOf(runs: ScenarioRun[]): Ratio[] {
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  return scenarios.flatMap((scenario) => {
    const tessera = runs.filter((r) => r.scenario === scenario && r.target === 'tessera');
    const bare = runs.filter((r) => r.scenario === scenario && r.target === 'bare');
    const pairs = tessera.slice(0, bare.length).map((t, i) => [t, bare[i]!] as const);
    if (!pairs.length) return [];
    const ratio = median(pairs.map(([t, b]) => t.http.requestsPerSecond / b.http.requestsPerSecond));
    return [{
      scenario, tessera: median(tessera.map((r) => r.http.requestsPerSecond)), bare: median(bare.map((r) => r.http.requestsPerSecond)),
      ratio, target: throughputTarget, met: ratio >= throughputTarget,
      cpuRatio: median(pairs.map(([t, b]) => b.cpuUsPerRequest.stack / t.cpuUsPerRequest.stack)),
    }];
  });
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

function runCells(report: BenchReport, run: ScenarioRun): string[] {
  const last = report.runs.filter((r) => r.scenario === run.scenario && r.target === 'tessera').at(-1);
  const ratio = run === last ? report.ratios.find((r) => r.scenario === run.scenario) : undefined;
  const cpu = run.usage.cpu;
  return [
    run.scenario, run.target, fixed(run.http.requestsPerSecond), fixed(run.http.p50Ms), fixed(run.http.p99Ms),
    String(run.http.non2xx + run.http.errors + run.http.timeouts), fixed(run.usage.serverPeakRssMb),
    fixed(cpu.server, 2), fixed(cpu.postgres + cpu.redis, 2), fixed(cpu.loadGenerator, 2), fixed(cpu.other, 2), `${fixed(cpu.machineBusy * 100)}%`,
    fixed(run.cpuUsPerRequest.stack), String(run.http.bytesPerResponse),
    ratio ? `${fixed(ratio.ratio, 2)} (${met(ratio.met)})` : '', ratio ? fixed(ratio.cpuRatio, 2) : '',
  ];
}

const cpuNote = (usage: WindowUsage) => `CPU cores: server ${fixed(usage.cpu.server, 2)}, PostgreSQL ${fixed(usage.cpu.postgres, 2)}, Redis ${fixed(usage.cpu.redis, 2)}, load generator ${fixed(usage.cpu.loadGenerator, 2)}, other ${fixed(usage.cpu.other, 2)}; machine ${fixed(usage.cpu.machineBusy * 100)}% busy`;

export function machineLine(report: BenchReport): string {
  const m = report.machine;
  return `${m.cores} cores, ${m.cpuModel}${m.cpuMhz ? ` @ ${fixed(m.cpuMhz)} MHz` : ''}, ${m.memoryGb ?? '?'} GB RAM, Linux ${m.kernel}, Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis} (all on the same machine)`;
}

export function consoleReport(report: BenchReport): string {
  return [consoleTables(report), ...(report.verify ? ['', verifyLine(report.verify)] : [])].join('\n');
}

function consoleTables(report: BenchReport): string {
  const s = report.settings;
  const lines = [
    `Machine: ${machineLine(report)}`,
    `Settings: ${s.durationSeconds} s per run after ${s.warmupSeconds} s warm-up, ${s.rounds} round(s) per scenario (median), ${s.connections} connections, load generator: ${s.loadGenerator}; ${s.pinning}; Tessera NODE_ENV=${s.tesseraNodeEnv} LOG_LEVEL=${s.tesseraLogLevel}${s.profiling ? ' — CPU PROFILING ON: figures are not representative' : ''}`,
    '',
  ];
  if (report.runs.length) {
    lines.push(columns([
      ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/err', 'RSS MB', 'srv cores', 'pg+redis', 'loadgen', 'other', 'machine', 'µs/req', 'bytes', `Tessera/bare (target ${throughputTarget})`, 'by CPU'],
      ...report.runs.map((run) => runCells(report, run)),
    ]),
    'CPU columns are cores used over the measured window: the server process (all threads), the PostgreSQL backends of the bench',
    'database + Redis, the load generator, and everything else on the machine (other processes, kernel). µs/req = CPU per request of',
    'server + PostgreSQL + Redis; "by CPU" = bare µs/req ÷ Tessera µs/req, the ratio CPU alone predicts (little moved by other load).',
    '');
  }
  const login = report.login;
  if (login) {
    lines.push(
      `Password logins (${login.hashCost}, ${login.virtualUsers} virtual users, full code flow through the login form):`,
      `  Tessera: ${fixed(login.logins.perSecond, 1)} logins/s (${login.logins.count} in ${login.logins.seconds} s; p50 ${fixed(login.logins.p50Ms)} ms, p99 ${fixed(login.logins.p99Ms)} ms; errors ${login.logins.errors}; peak RSS ${fixed(login.loginUsage.serverPeakRssMb)} MB)`,
      `    ${cpuNote(login.loginUsage)}`,
      `  bare argon2id verifies: ${fixed(login.baseline.comparesPerSecond, 1)} compares/s (${login.baseline.threads} worker threads, ${login.baseline.compares} in ${login.baseline.seconds} s)`,
      `    ${cpuNote(login.baselineUsage)} (the pool runs in the load-generator process, on the server's core(s))`,
      `  ratio logins/compares: ${fixed(login.ratio, 2)} (target ${login.target}: ${met(login.met)})`,
      `  CPU per login: server ${fixed(login.cpuMsPerLogin.server, 1)} ms, PostgreSQL ${fixed(login.cpuMsPerLogin.postgres, 1)} ms, Redis ${fixed(login.cpuMsPerLogin.redis, 1)} ms, load generator (client) ${fixed(login.cpuMsPerLogin.loadGenerator, 1)} ms;`
        + ` per hash check ${fixed(login.cpuMsPerCompare, 1)} ms → with every party on the same cores, CPU alone caps the ratio at ${fixed(login.cpuBoundRatio, 2)}`,
      '',
    );
  }
  if (report.goals.length) {
    lines.push(columns([['measure', 'value', 'goal', ''], ...report.goals.map((g) => [g.measure, g.value, g.goal, g.met === null ? '' : met(g.met)])]));
    for (const g of report.goals.filter((row) => row.note)) lines.push(`  ${g.measure}: ${g.note}`);
    lines.push('');
  }
  for (const failure of report.failures) lines.push(`FAILED: ${failure}`);
  if (report.goals.length) {
    lines.push('', '| Measure | Value | Goal | |', '|---|---:|---|---|');
    for (const g of report.goals) lines.push(`| ${g.measure} | ${g.value} | ${g.goal} | ${g.met === null ? '' : g.met ? '✓' : '✗'} |`);
  }
  return lines.join('\n');
}

export function markdownReport(report: BenchReport): string {
  const lines = [
    `Measured ${report.date.slice(0, 10)} on ${machineLine(report)}; ${report.settings.durationSeconds} s per run after ${report.settings.warmupSeconds} s warm-up, median of ${report.settings.rounds} alternating round(s), ${report.settings.connections} connections (${report.settings.loadGenerator}), ${report.settings.pinning}. Tessera runs on PostgreSQL + Redis (NODE_ENV=${report.settings.tesseraNodeEnv}, LOG_LEVEL=${report.settings.tesseraLogLevel}); "bare" is oidc-provider alone with its in-memory adapter and a static client.`,
    '',
    `| Scenario | Tessera req/s | p50 / p99 ms | RSS MB | bare req/s | p50 / p99 ms | RSS MB | Tessera/bare (target ${throughputTarget}) | by CPU per request |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const ratio of report.ratios) {
    const t = medianRun(report.runs, ratio.scenario, 'tessera')!;
    const b = medianRun(report.runs, ratio.scenario, 'bare')!;
    lines.push(`| ${ratio.scenario} | ${fixed(ratio.tessera)} | ${fixed(t.http.p50Ms)} / ${fixed(t.http.p99Ms)} | ${fixed(t.usage.serverPeakRssMb)} | ${fixed(ratio.bare)} | ${fixed(b.http.p50Ms)} / ${fixed(b.http.p99Ms)} | ${fixed(b.usage.serverPeakRssMb)} | ${fixed(ratio.ratio, 2)} ${ratio.met ? '✓' : '✗'} | ${fixed(ratio.cpuRatio, 2)} |`);
  }
  const login = report.login;
  if (login) {
    lines.push(
      '',
      `| Password logins (${login.hashCost}) | per second |`,
      '|---|---:|',
      `| Tessera, full code flow through the login form (${login.virtualUsers} virtual users) | ${fixed(login.logins.perSecond, 1)} |`,
      `| bare argon2id verifies (${login.baseline.threads} worker threads) | ${fixed(login.baseline.comparesPerSecond, 1)} |`,
      `| ratio (target ${loginTarget}) | ${fixed(login.ratio, 2)} ${login.met ? '✓' : '✗'} |`,
      `| ratio CPU alone allows here: ${fixed(login.cpuMsPerCompare)} ms per compare ÷ ${fixed(Object.values(login.cpuMsPerLogin).reduce((a, b) => a + b, 0))} ms of CPU per login (server, PostgreSQL, Redis, client) | ${fixed(login.cpuBoundRatio, 2)} |`,
    );
  }
  if (report.goals.length) {
    lines.push('', '| Measure | Value | Goal | |', '|---|---:|---|---|');
    for (const g of report.goals) lines.push(`| ${g.measure} | ${g.value} | ${g.goal} | ${g.met === null ? '' : g.met ? '✓' : '✗'} |`);
  }
  return lines.join('\n');
}
