// The load generator, run as its own process (fork, one job per process) so that its event loop does nothing
// but generate load: the orchestrator's /proc sampling and the servers' output never share a thread with it.
// A job warms up, then measures for a fixed window, telling the parent when the window opens and closes
// (the parent samples the server's RSS and CPU over exactly that window).
//   http   — autocannon, one thread, N keep-alive connections
//   logins — N virtual users, each looping over the full code flow with a fresh cookie jar per login
//   hash — a worker_threads pool verifying argon2id hashes continuously (the login baseline)
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { hashSync } from '@node-rs/argon2';
import { Browser } from '../support/browser.js';
import { codeFlow, discover } from '../support/relying-party.js';

export interface HttpJob { kind: 'http'; url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; connections: number; warmupSeconds: number; durationSeconds: number }
export interface LoginJob { kind: 'logins'; issuer: string; clientId: string; clientSecret: string; redirectUri: string; users: { email: string; password: string }[]; virtualUsers: number; warmupSeconds: number; durationSeconds: number }
export interface HashBaselineJob { kind: 'hash'; threads: number; memoryKiB: number; timeCost: number; warmupSeconds: number; durationSeconds: number }
export type Job = HttpJob | LoginJob | HashBaselineJob;

export interface HttpResult { requestsPerSecond: number; p50Ms: number; p99Ms: number; meanMs: number; requests: number; non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>; bytesPerResponse: number; seconds: number }
export interface LoginResult { loginsPerSecond: number; logins: number; p50Ms: number; p99Ms: number; errors: number; firstError: string | null; seconds: number }
export interface HashBaselineResult { comparesPerSecond: number; compares: number; threads: number; seconds: number }

export type LoadMessage = { type: 'measure-start' } | { type: 'measure-end' } | { type: 'result'; result: HttpResult | LoginResult | HashBaselineResult } | { type: 'error'; message: string };

interface AutocannonResult {
  duration: number; errors: number; timeouts: number; non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; average: number; totalCount: number };
  requests: { total: number };
  throughput: { total: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships CommonJS without types
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const send = (message: LoadMessage) => process.send!(message);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Tells the parent when the window opens and closes, on timers. `close()` sends whatever a timer has not sent yet:
 * on a busy machine the last worker's answer can be handled in the same event-loop turn as the due end timer and
 * before it, and clearing that timer used to lose `measure-end` (the parent then saw no measured window).
 */
function windowSignals(windowStart: number, windowEnd: number): { close(): void } {
  let sent = 0;
  const next = () => { if (sent < 2) send({ type: sent++ === 0 ? 'measure-start' : 'measure-end' }); };
  const opened = setTimeout(next, windowStart - Date.now());
  const closed = setTimeout(() => { if (sent === 1) next(); }, windowEnd - Date.now());
  return {
    close() {
      clearTimeout(opened);
      clearTimeout(closed);
      next();
      next();
    },
  };
}

async function runHttp(job: HttpJob): Promise<HttpResult> {
  const options = { url: job.url, method: job.method, headers: job.headers, body: job.body, connections: job.connections, pipelining: 1, timeout: 10 };
  await autocannon({ ...options, duration: job.warmupSeconds });
  send({ type: 'measure-start' });
  const r = await autocannon({ ...options, duration: job.durationSeconds });
  send({ type: 'measure-end' });
  return {
    requestsPerSecond: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: r.latency.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
    bytesPerResponse: r.requests.total ? Math.round(r.throughput.total / r.requests.total) : 0,
    seconds: r.duration,
  };
}

/** Closed loop: the virtual users never pause; logins finishing inside the window count (steady state). */
async function runLogins(job: LoginJob): Promise<LoginResult> {
  const config = await discover(job.issuer, job.clientId, job.clientSecret);
  const windowStart = Date.now() + job.warmupSeconds * 1000;
  const windowEnd = windowStart + job.durationSeconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const signals = windowSignals(windowStart, windowEnd);

  async function virtualUser(index: number) {
    const user = job.users[index % job.users.length]!;
    while (Date.now() < windowEnd) {
      const started = performance.now();
      try {
        const { tokens } = await codeFlow(config, job.redirectUri, user, { browser: new Browser() });
        if (!tokens.id_token || !tokens.access_token) throw new Error('token response without id_token or access_token');
      } catch (error) {
        errors++;
        firstError ??= (error as Error).stack ?? String(error);
        continue;
      }
      const ended = Date.now();
      if (ended >= windowStart && ended <= windowEnd) latencies.push(performance.now() - started);
    }
  }

  await Promise.all(Array.from({ length: job.virtualUsers }, (_, i) => virtualUser(i)));
  signals.close();
  latencies.sort((a, b) => a - b);
  return {
    loginsPerSecond: latencies.length / job.durationSeconds,
    logins: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    firstError,
    seconds: job.durationSeconds,
  };
}

async function runHashBaseline(job: HashBaselineJob): Promise<HashBaselineResult> {
  const password = 'correct horse battery staple';
  // argon2id as Tessera stores it (algorithm 2 is Argon2id)
  const hash = hashSync(password, { algorithm: 2, memoryCost: job.memoryKiB, timeCost: job.timeCost, parallelism: 1 });
  const windowStart = Date.now() + job.warmupSeconds * 1000;
  const windowEnd = windowStart + job.durationSeconds * 1000;
  const signals = windowSignals(windowStart, windowEnd);
  const workerUrl = new URL('./hash-baseline.worker.js', import.meta.url);
  const counts = await Promise.all(Array.from({ length: job.threads }, () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: { password, hash, windowStart, windowEnd } });
    worker.once('message', (count: number) => resolve(count));
    worker.once('error', reject);
  })));
  signals.close();
  const compares = counts.reduce((a, b) => a + b, 0);
  return { comparesPerSecond: compares / job.durationSeconds, compares, threads: job.threads, seconds: job.durationSeconds };
}

process.once('message', (job: Job) => {
  const run = job.kind === 'http' ? runHttp(job) : job.kind === 'logins' ? runLogins(job) : runHashBaseline(job);
  run.then(
    (result) => send({ type: 'result', result }),
    (error: unknown) => send({ type: 'error', message: (error as Error).stack ?? String(error) }),
  ).finally(() => process.disconnect());
});
