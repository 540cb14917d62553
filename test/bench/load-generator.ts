// The load generator, run as its own process (fork, one job per process) so that its event loop does nothing
// but generate load: the orchestrator's /proc sampling and the servers' output never share a thread with it.
// A job warms up, then measures for a fixed window, telling the parent when the window opens and closes
// (the parent samples the server's RSS and CPU over exactly that window).
//   http   — wrk when installed, else autocannon (wrk-load.ts); one thread, N keep-alive connections
//   logins, refreshes, json-logins — N virtual users in a closed loop (session-loads.ts)
//   hash — a worker_threads pool verifying argon2id hashes continuously (the login baseline)
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { hashSync } from '@node-rs/argon2';
import { send, windowSignals, type LoadMessage } from './closed-loop.js';
import { runSessionJob, type SessionJob } from './session-loads.js';
import { loadTool, runWrk } from './wrk-load.js';

export type { LoadMessage };
export type { ClosedLoopResult as SessionResult } from './closed-loop.js';
export type { JsonLoginJob, LoginJob, OtpLoginJob, RefreshJob } from './session-loads.js';

export interface HttpJob { kind: 'http'; url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; connections: number; warmupSeconds: number; durationSeconds: number }
export interface HashBaselineJob { kind: 'hash'; threads: number; memoryKiB: number; timeCost: number; warmupSeconds: number; durationSeconds: number }
export type Job = HttpJob | SessionJob | HashBaselineJob;

export interface HttpResult { requestsPerSecond: number; p50Ms: number; p99Ms: number; meanMs: number; requests: number; non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>; bytesPerResponse: number; seconds: number }
export interface HashBaselineResult { comparesPerSecond: number; compares: number; threads: number; seconds: number }

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

async function runHttp(job: HttpJob): Promise<HttpResult> {
  if (loadTool() === 'wrk') return runWrk(job);
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
  const run = job.kind === 'http' ? runHttp(job) : job.kind === 'hash' ? runHashBaseline(job) : runSessionJob(job);
  run.then(
    (result) => send({ type: 'result', result }),
    (error: unknown) => send({ type: 'error', message: (error as Error).stack ?? String(error) }),
  ).finally(() => process.disconnect());
});
