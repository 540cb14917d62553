// Two Tessera processes on the same PostgreSQL + Redis against one: the client_credentials rate of one process
// (all connections), then of two at once (half the connections each), each process pinned to a core of its own.
// The second process gets the load generators' core(s): on a two-core machine it shares its core with them, so the
// ratio measured there is a floor; it means what the goal means from four cores up.
import { quietMachine, runJob } from './bench-jobs.js';
import { freePort, startServer, tesseraMain } from './bench-processes.js';
import { tokenRequest, type TesseraTarget } from './bench-setup.js';
import type { GoalRow } from './bench-report.js';
import { pinning } from './cpu-pinning.js';
import type { HttpResult } from './load-generator.js';

export interface ProcessStepInput { tessera: TesseraTarget; database: string; connections: number; warmupSeconds: number; durationSeconds: number; failures: string[] }

export async function twoProcesses(input: ProcessStepInput): Promise<GoalRow> {
  const { tessera } = input;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const second = await startServer({ name: 'tessera-2', script: tesseraMain, env: { ...tessera.env, PORT: String(port), PUBLIC_URL: url }, readyUrls: [`${url}/healthz`], cores: 'clients' });
  try {
    const issuerB = { ...tessera.rs256, issuer: tessera.rs256.issuer.replace(new URL(tessera.rs256.issuer).origin, url) };
    const job = (connections: number) => ({ kind: 'http' as const, connections, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds });
    await quietMachine();
    process.stdout.write(`  client_credentials on one process, ${input.connections} connections… `);
    const one = (await runJob<HttpResult>({ ...tokenRequest(tessera.rs256), ...job(input.connections) }, tessera.server.pid, input.database)).result;
    process.stdout.write(`${one.requestsPerSecond.toFixed(0)}/s\n`);
    await quietMachine();
    const half = Math.max(1, Math.floor(input.connections / 2));
    process.stdout.write(`  client_credentials on two processes, ${half} connections each… `);
    const both = await Promise.all([
      runJob<HttpResult>({ ...tokenRequest(tessera.rs256), ...job(half) }, tessera.server.pid, input.database),
      runJob<HttpResult>({ ...tokenRequest(issuerB), ...job(half) }, second.pid, input.database),
    ]);
    const total = both.reduce((sum, r) => sum + r.result.requestsPerSecond, 0);
    process.stdout.write(`${total.toFixed(0)}/s\n`);
    for (const r of [one, ...both.map((b) => b.result)]) {
      const failed = r.non2xx + r.errors + r.timeouts;
      if (failed) input.failures.push(`two processes vs one: ${failed} requests failed (${JSON.stringify(r.statusCodes)})`);
    }
    const ratio = total / one.requestsPerSecond;
    return {
      measure: 'two processes vs one (client_credentials, shared PostgreSQL + Redis)', value: `${ratio.toFixed(2)}× (${total.toFixed(0)} vs ${one.requestsPerSecond.toFixed(0)}/s)`,
      goal: '≥ 1.7×', met: ratio >= 1.7,
      note: pinning && pinning.clients === '0' ? 'two cores only: the second process shares its core with the load generators, so this is a floor' : undefined,
    };
  } finally {
    await second.stop();
  }
}
