// `tessera <argv>` for tests: spawned as an operator runs it (runCli), or its command code run in this process
// (runCliInProcess), which is what fixtures use: the same code and output without a Node start per command.
import { productionSafeHashCost } from './test-env.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runTesseraCli } from '../../src/cli/cli-run.js';
import type { SharedDatabase as OpenShared } from '../../src/cli/cli-run.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { signingKeyGenerator } from './key-pool.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cliJs = fileURLToPath(new URL('../../src/cli/tessera.js', import.meta.url));

/** TESSERA_TEST_PROCESS=1 runs every server and CLI command of the suite as a process, as before (to compare, or to debug) */
export const processesOnly = process.env.TESSERA_TEST_PROCESS === '1';

/**
 * What a spawned Tessera process or CLI command gets besides its own settings: PATH, and the suite's compile cache
 * (NODE_COMPILE_CACHE, which run-suite.ts sets) so that each process does not compile the app's modules afresh.
 */
export function processBaseEnv(): Record<string, string> {
  const cache = process.env.NODE_COMPILE_CACHE;
  return { PATH: process.env.PATH ?? '', ...(cache ? { NODE_COMPILE_CACHE: cache } : {}) };
}

export interface CliResult { code: number; stdout: string; stderr: string; json: unknown }

const parsed = (stdout: string): unknown => {
  try { return JSON.parse(stdout); } catch { return undefined; }
};

export function runCli(argv: string[], env: Record<string, string>, cwd = repoRoot): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...argv], { env: { ...processBaseEnv(), ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: parsed(stdout) }));
  });
}

/**
 * One PostgreSQL database (its connection pool and Prisma client) for the CLI commands of one server in this process:
 * opened by the first command, closed with the server (in-process-tessera.ts). A Prisma client made and warmed for
 * every command cost about 50 ms of CPU. Each command still builds services of its own — caches, Redis connection,
 * migration check — as a process of its own does, and takes its RSA keys from key-pool.ts as the server does. A
 * database that cannot be opened is left to each command, which then fails as it would alone.
 */
export interface SharedDatabase {
  open(): Promise<OpenShared | undefined>;
  close(): Promise<void>;
}

export function sharedDatabase(url: string | undefined): SharedDatabase {
  let opened: Promise<Database | undefined> | undefined;
  let closed = false;
  return {
    async open() {
      if (!url || closed) return undefined;
      opened ??= openDatabase({ kind: 'postgres', url }).catch(() => {
        opened = undefined;
        return undefined;
      });
      const database = await opened;
      return database && { url, database, generateSigningKey: signingKeyGenerator(url) };
    },
    async close() {
      closed = true;
      await (await opened)?.close();
    },
  };
}

/**
 * Runs `tessera <argv>` in this process (cli-run.ts, the code the binary runs) with exactly `env`: on PostgreSQL, or
 * through the Management API (TESSERA_URL). The embedded database (neither) resolves ./data against the working
 * directory and holds a lock, so that one is spawned.
 */
export async function runCliInProcess(argv: string[], given: Record<string, string>, cwd = repoRoot, shared?: SharedDatabase): Promise<CliResult> {
  const env = productionSafeHashCost(given);
  if (processesOnly || (!env.DATABASE_URL && !env.TESSERA_URL)) return runCli(argv, env, cwd);
  // a command through the Management API (TESSERA_URL) opens no database
  const database = shared && !env.TESSERA_URL ? await shared.open() : undefined;
  const outcome = await runTesseraCli(argv, { PATH: process.env.PATH ?? '', ...env }, cwd, database);
  return { code: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr, json: parsed(outcome.stdout) };
}
