// Runs Tessera the way a user does — `node dist/src/main.js` in its own process — and its CLI. Files that need no
// process of their own get the same interface from startInProcess (in-process-tessera.ts), through useTessera.
import { productionSafeHashCost } from './test-env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestClock } from './test-clock.js';
import { processBaseEnv, repoRoot, runCli, runCliInProcess, type CliResult } from './tessera-cli.js';

export { processBaseEnv, processesOnly, repoRoot, runCli, runCliInProcess, type CliResult } from './tessera-cli.js';

const mainJs = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** ports this process handed out: never twice, though a server on one may have stopped since */
const handedOut = new Set<number>();

/**
 * A free port for a server a test starts, below the kernel's ephemeral range: no port-0 listener or outgoing
 * connection of the files running beside it can take the port between this check and the server's start, nor while
 * a server on it is down to be started again (the private stores of the outage tests). A port-0 port could be taken
 * so (seen: a development server found its port in use by an outgoing connection, under a full suite's load).
 */
export async function freePort(): Promise<number> {
  let ephemeralLow = 32_768; // Linux's default, where /proc does not say
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch { /* not Linux */ }
  const high = Math.max(Math.min(ephemeralLow, 32_768), 21_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + randomInt(high - 20_000);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port between 20000 and the ephemeral range');
}

export interface TesseraProcess {
  readonly url: string;
  readonly port: number;
  readonly env: Record<string, string>;
  /** everything the process printed so far */
  output(): string;
  issuer(slug: string): string;
  /** runs `tessera <argv>` with this server's environment (in this process: runCliInProcess) */
  cli(argv: string[]): Promise<CliResult>;
  stop(): Promise<void>;
  /** an in-process server's clock for codes, MFA and trusted devices (letTimePass in test-clock.ts); absent for a process */
  readonly clock?: TestClock;
}


/** how long a spawned server may take to answer /healthz (see untilListening) */
const startDeadlineMs = 180_000;

/**
 * Waits until a spawned Tessera answers /healthz, up to 3 minutes: the embedded database's first start (PGlite
 * starting and migrating, CPU-bound) took over 60 s on a machine busy with other work. A hang still fails, and says so.
 * @throws with the process's output when it exits first or does not answer in time (it is then killed)
 */
export async function untilListening(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + startDeadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Tessera exited with ${child.exitCode} before listening:\n${output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Tessera did not start within ${startDeadlineMs / 1000} s:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a server with `env` (plus PORT/PUBLIC_URL unless given) and resolves once it listens.
 * @param options.publicUrl the issuer origin, e.g. a proxy in front of several processes; null leaves PUBLIC_URL unset,
 *   as a newcomer runs Tessera (it then answers at http://localhost:PORT)
 * @param options.spawnCli `cli()` spawns `tessera` (the CLI's own tests) instead of running its code in this process
 */
export async function startTessera(env: Record<string, string>, options: { publicUrl?: string | null; cwd?: string; port?: number; spawnCli?: boolean } = {}): Promise<TesseraProcess> {
  const port = options.port ?? (await freePort());
  const url = options.publicUrl === null ? `http://localhost:${port}` : `http://127.0.0.1:${port}`;
  const publicUrl: Record<string, string> = options.publicUrl === null ? {} : { PUBLIC_URL: options.publicUrl ?? url };
  const fullEnv: Record<string, string> = productionSafeHashCost({ PORT: String(port), HOST: '127.0.0.1', ...publicUrl, LOG_LEVEL: 'warn', ...env });
  const child: ChildProcess = spawn(process.execPath, [mainJs], { env: { ...processBaseEnv(), ...fullEnv }, cwd: options.cwd ?? repoRoot });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  await untilListening(child, url, () => output);

  return {
    url,
    port,
    env: fullEnv,
    output: () => output,
    issuer: (slug) => `${fullEnv.PUBLIC_URL ?? url}/t/${slug}`,
    cli: (argv) => (options.spawnCli ? runCli(argv, fullEnv, options.cwd) : runCliInProcess(argv, fullEnv, options.cwd)),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
