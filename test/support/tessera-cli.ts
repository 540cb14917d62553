// `tessera <argv>` for tests: spawned as an operator runs it (runCli), or its command code run in this process
// (runCliInProcess), which is what fixtures use: the same code and output without a Node start per command.
import { productionSafeHashCost } from './test-env.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runTesseraCli } from '../../src/cli/cli-run.js';

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
 * Runs `tessera <argv>` in this process (cli-run.ts, the code the binary runs) with exactly `env`: on PostgreSQL, or
 * through the Management API (TESSERA_URL). The embedded database (neither) resolves ./data against the working
 * directory and holds a lock, so that one is spawned.
 */
export async function runCliInProcess(argv: string[], given: Record<string, string>, cwd = repoRoot): Promise<CliResult> {
  const env = productionSafeHashCost(given);
  if (processesOnly || (!env.DATABASE_URL && !env.TESSERA_URL)) return runCli(argv, env, cwd);
  const outcome = await runTesseraCli(argv, { PATH: process.env.PATH ?? '', ...env }, cwd);
  return { code: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr, json: parsed(outcome.stdout) };
}
