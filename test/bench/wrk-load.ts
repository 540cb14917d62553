// The http jobs through wrk (Debian's package: `apt-get install wrk`) when the machine has it. autocannon is
// JavaScript: it took ≈80 µs of CPU per request (0.10–0.15 of a core at 1,200–2,300 requests/s). That is harmless
// while the load generators have a core of their own, but the two-processes step puts the second server on the load
// generators' core when the machine has only two, and every µs a generator spends is taken from that server. wrk is
// C: a fraction of that per request, so the step measures the servers rather than the generators.
// BENCH_LOAD_TOOL=autocannon keeps autocannon everywhere; =wrk requires wrk.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send } from './closed-loop.js';
import type { HttpJob, HttpResult } from './load-generator.js';

export type LoadTool = 'wrk' | 'autocannon';

function wrkInstalled(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its version and exits 1; only a missing binary throws ENOENT
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** the tool the http jobs use in this run (BENCH_LOAD_TOOL, else wrk when installed) */
export function loadTool(): LoadTool {
  const asked = process.env.BENCH_LOAD_TOOL;
  if (asked === 'autocannon') return 'autocannon';
  if (asked === 'wrk' && !wrkInstalled()) throw new Error('BENCH_LOAD_TOOL=wrk, but wrk is not installed (apt-get install wrk)');
  return wrkInstalled() ? 'wrk' : 'autocannon';
}

export function loadToolNote(tool: LoadTool): string {
  return tool === 'wrk' ? 'wrk (C, one thread) started by a separate process' : 'autocannon 9 in a separate process (one thread)';
}

/** a Lua string literal */
const lua = (value: string) => JSON.stringify(value);

/**
 * wrk's request (method, headers, body set once) and a summary line of its own; no `response` hook, which would
 * hand every response to Lua and cost the generator more than the counting is worth: non-2xx answers are read
 * from wrk's own report instead
 */
function script(job: HttpJob): string {
  return [
    `wrk.method = ${lua(job.method)}`,
    ...Object.entries(job.headers).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    job.body !== undefined ? `wrk.body = ${lua(job.body)}` : '',
    'done = function(summary, latency, requests)',
    '  io.write(string.format("RESULT {\\"requests\\":%d,\\"seconds\\":%f,\\"bytes\\":%d,\\"p50\\":%f,\\"p99\\":%f,\\"mean\\":%f,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d,\\"status\\":%d}\\n",',
    '    summary.requests, summary.duration / 1e6, summary.bytes, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,',
    '    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))',
    'end',
  ].join('\n');
}

interface WrkSummary { requests: number; seconds: number; bytes: number; p50: number; p99: number; mean: number; connect: number; read: number; write: number; timeout: number; status: number }

function wrk(job: HttpJob, seconds: number, scriptPath: string): Promise<WrkSummary> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${job.connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', scriptPath, job.url];
    execFile('wrk', args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = /^RESULT (.*)$/m.exec(stdout)?.[1];
      if (!line) return reject(new Error(`wrk gave no result${error ? ` (${error.message})` : ''}:\n${stdout}${stderr}`));
      resolve(JSON.parse(line) as WrkSummary);
    });
  });
}

export async function runWrk(job: HttpJob): Promise<HttpResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-wrk-'));
  try {
    const scriptPath = join(dir, 'request.lua');
    writeFileSync(scriptPath, script(job), { mode: 0o600 });
    await wrk(job, job.warmupSeconds, scriptPath);
    send({ type: 'measure-start' });
    const r = await wrk(job, job.durationSeconds, scriptPath);
    send({ type: 'measure-end' });
    // wrk counts an answer of 400 or above as a status error (its "Non-2xx or 3xx responses"); none is expected
    const non2xx = r.status;
    return {
      requestsPerSecond: r.requests / r.seconds,
      p50Ms: r.p50,
      p99Ms: r.p99,
      meanMs: r.mean,
      requests: r.requests,
      non2xx,
      errors: r.connect + r.read + r.write,
      timeouts: r.timeout,
      statusCodes: { '2xx/3xx': r.requests - non2xx, '4xx/5xx': non2xx },
      bytesPerResponse: r.requests ? Math.round(r.bytes / r.requests) : 0,
      seconds: r.seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
