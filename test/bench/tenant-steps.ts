// Bench steps on memory and many tenants: idle RSS of both servers after start, and N tenants (default 1,000, more
// than the provider LRU holds, so providers are built and evicted) each touched once with a discovery request:
// how long a cold tenant's first discovery takes (p50/p99, one request at a time), and Tessera's RSS afterwards.
//   BENCH_TENANTS (1000)
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { createServices } from '../../src/services.js';
import { percentile } from './closed-loop.js';
import type { GoalRow } from './bench-report.js';
import type { TesseraTarget } from './bench-setup.js';
import { rssMb } from './proc-sampler.js';

export const tenantCount = Number(process.env.BENCH_TENANTS ?? 1000);

/** resident memory once the servers have started and settled (nothing served yet) */
export async function idleRss(pids: { tessera: number; bare: number }): Promise<GoalRow> {
  await sleep(3000);
  const [tessera, bare] = [rssMb(pids.tessera) ?? NaN, rssMb(pids.bare) ?? NaN];
  return { measure: 'idle RSS after start', value: `${tessera.toFixed(0)} MB (bare library ${bare.toFixed(0)} MB)`, goal: '< 200 MB', met: tessera < 200 };
}

/**
 * Creates the tenants straight through Tessera's services in this process (signing keys are generated here, not
 * in the server under test), then touches each once, in turn, on the server.
 */
export async function touchTenants(tessera: TesseraTarget): Promise<GoalRow[]> {
  process.stdout.write(`  creating ${tenantCount} tenants… `);
  const started = Date.now();
  const services = await createServices(loadConfig(tessera.env), createLogger('silent'));
  const slugs: string[] = [];
  try {
    const run = randomBytes(2).toString('hex');
    for (let i = 0; i < tenantCount; i += 8) {
      const batch = Array.from({ length: Math.min(8, tenantCount - i) }, (_, j) => `cold-${run}-${i + j}`);
      await Promise.all(batch.map((slug) => services.tenants.create({ slug })));
      slugs.push(...batch);
    }
  } finally {
    await services.close();
  }
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(0)} s; touching each once… `);
  const origin = new URL(tessera.rs256.issuer).origin;
  const latencies: number[] = [];
  for (const slug of slugs) {
    const begun = performance.now();
    const response = await fetch(`${origin}/t/${slug}/.well-known/openid-configuration`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`discovery of ${slug}: ${response.status}`);
    latencies.push(performance.now() - begun);
  }
  await sleep(2000);
  const rss = rssMb(tessera.server.pid) ?? NaN;
  latencies.sort((a, b) => a - b);
  const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)];
  process.stdout.write(`p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; RSS ${rss.toFixed(0)} MB\n`);
  return [
    { measure: `${tenantCount} tenants touched once (LRU evicting): RSS`, value: `${rss.toFixed(0)} MB`, goal: '< 500 MB', met: rss < 500 },
    { measure: 'cold tenant first discovery', value: `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`, goal: '< 50 ms', met: p99 < 50, note: `${tenantCount} tenants, one request at a time; the goal is read as p99` },
  ];
}
