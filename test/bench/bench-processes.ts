// The bench's servers as child processes (we need their pids for /proc), and the throwaway PostgreSQL
// database + Redis prefix Tessera runs on. BENCH_DATABASE_URL / BENCH_REDIS_URL point elsewhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClient } from '@redis/client';
import { pinnedCommand } from './cpu-pinning.js';
import { freePort, repoRoot } from '../support/tessera-process.js';
import { createTestServices, type TestServices } from '../support/test-env.js';

export const adminDatabaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited */
  stop(): Promise<void>;
}

/** how a server is started: node's own flags, and a command that runs node (valgrind, for instruction-count.ts) */
export interface Launch {
  nodeArgs?: string[];
  /** e.g. ['valgrind', '--tool=callgrind', …]: node runs under it, with the same pid */
  wrapper?: string[];
  /** another build's main script (instruction-count.ts compares a change with it) */
  script?: string;
  /** how long the server may take to answer (60 s) */
  readyTimeoutMs?: number;
}

/**
 * Runs `node [nodeArgs] script` (on the server core when pinning is on, or on `cores`) and resolves when every `readyUrls` answers 2xx.
 * @param nodeArgs e.g. --cpu-prof (the profile is written when the process exits on SIGTERM)
 */
export async function startServer(options: { name: string; script: string; env: Record<string, string>; readyUrls: string[]; cores?: 'server' | 'clients' } & Omit<Launch, 'script'>): Promise<ServerProcess> {
  const [node, ...wrapped] = [...(options.wrapper ?? []), process.execPath];
  const [command, args] = pinnedCommand(node!, [...wrapped, ...(options.nodeArgs ?? []), options.script], options.cores);
  const child: ChildProcess = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (const url of options.readyUrls) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} before it was ready:\n${output}`);
      const ok = await fetch(url).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${options.name} was not ready within ${readyTimeoutMs / 1000} s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    name: options.name,
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const tesseraMain = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const bareProviderScript = fileURLToPath(new URL('./bare-provider.server.js', import.meta.url));
export { freePort };

/** the test harness's throwaway database + Redis prefix, on the bench's services and named for the bench */
export function createBenchServices(): Promise<TestServices> {
  return createTestServices({ namePrefix: 'tessera_t_bench_', adminDatabaseUrl, redisUrl });
}

/** versions of the backing services, for the machine note */
export async function serviceVersions(): Promise<{ postgres: string; redis: string }> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const info = await redis.info('server');
  await redis.quit();
  return { postgres: rows[0]!.server_version, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
}
