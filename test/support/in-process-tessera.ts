// Tessera inside the test process: the same app `npm start` serves (createTessera on a node:http server), without a
// Node start and module load per server, behind the TesseraProcess interface the tests already use. Its log is
// captured for output(); its CLI runs the real command code (cli-run.ts) without a process per command.
// Files that need a real process (embedded database, several processes, signals, the browser) use startTessera.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createTessera, type Tessera } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { demoBanner, demoHint } from '../../src/demo/demo-banner.js';
import { firstOwnerBanner } from '../../src/accounts/first-owner.service.js';
import { ensureDemo } from '../../src/demo/demo.service.js';
import { developmentBehaviours } from '../../src/config/development-mode.js';
import { createLogger } from '../../src/logging/logger.js';
import { signingKeyGenerator } from './key-pool.js';
import { createTestClock, type TestClock } from './test-clock.js';
import { productionSafeHashCost } from './test-env.js';
import { runCli, runCliInProcess, sharedDatabase } from './tessera-cli.js';
import type { TesseraProcess } from './tessera-process.js';

export interface InProcessOptions {
  /** PUBLIC_URL; null leaves it unset, as a newcomer runs Tessera (it then answers at http://localhost:PORT) */
  publicUrl?: string | null;
  port?: number;
  cwd?: string;
  /** `cli()` spawns `tessera` (the CLI's own tests) instead of running its code in this process */
  spawnCli?: boolean;
}

/**
 * A command's change reaches the server as a process of its own would tell it: a message on the store's channels
 * (a tenant's provider, machine claims), which the server applies as it arrives — a moment after the command ends.
 * A user waits that moment without noticing; a test that reads right after the command could beat it (seen under a
 * full suite's load: discovery still without the protocol switch just set). So after each command the harness sends
 * a marker through the server's own store and waits until the server's subscription receives it: the store delivers
 * a connection's messages in order, and the command's went out before the marker.
 */
async function changesSettled(tessera: Tessera): Promise<() => Promise<void>> {
  const channel = 'test:cli-settled';
  const waiting = new Map<string, () => void>();
  await tessera.services.store.subscribe(channel, (marker) => waiting.get(marker)?.());
  let count = 0;
  return async () => {
    const marker = String(++count);
    let timer: NodeJS.Timeout | undefined;
    // a store that cannot answer (an outage test) must not hold the test: the marker is a courtesy, never a check
    const arrived = new Promise<void>((resolve) => {
      waiting.set(marker, resolve);
      timer = setTimeout(resolve, 5_000);
    });
    try {
      await tessera.services.store.publish(channel, marker);
      await arrived;
    } catch { /* the store is down: nothing to wait for */ } finally {
      clearTimeout(timer);
      waiting.delete(marker);
    }
  };
}

export async function startInProcess(env: Record<string, string>, options: InProcessOptions = {}): Promise<TesseraProcess & { readonly clock: TestClock }> {
  let output = '';
  const log = new Writable({ write(chunk, _encoding, done) { output += String(chunk); done(); } });
  let handler: Parameters<typeof createServer>[1] = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = createServer((req, res) => handler!(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = options.publicUrl === null ? `http://localhost:${port}` : `http://127.0.0.1:${port}`;
  const publicUrl: Record<string, string> = options.publicUrl === null ? {} : { PUBLIC_URL: options.publicUrl ?? url };
  const fullEnv: Record<string, string> = productionSafeHashCost({ PORT: String(port), HOST: '127.0.0.1', ...publicUrl, LOG_LEVEL: 'warn', ...env });
  const clock = createTestClock();
  let tessera: Tessera;
  try {
    const config = loadConfig(fullEnv);
    // on PostgreSQL, RSA keys made in earlier runs (key-pool.ts)
    const keySource = fullEnv.DATABASE_URL ? { generateSigningKey: signingKeyGenerator(fullEnv.DATABASE_URL) } : {};
    tessera = await createTessera(config, createLogger(config.logLevel, { destination: log }), { now: clock.now, ...keySource });
    handler = tessera.app.callback();
    // what main.ts prints at start-up: the development-only behaviours, then the demo's details
    for (const line of developmentBehaviours(config)) output += `${line}\n`;
    const demo = config.seedDemo ? await ensureDemo(tessera.services) : null;
    if (demo) output += demo.changed ? demoBanner(demo.info) : demoHint(config.publicUrl.origin);
    const setupToken = await tessera.services.firstOwner.issueToken();
    if (setupToken) output += firstOwnerBanner(config.publicUrl, setupToken);
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw new Error(`Tessera did not start in this process: ${(error as Error).message}\n${output}`, { cause: error });
  }

  const cliDatabase = sharedDatabase(fullEnv.DATABASE_URL);
  const settled = await changesSettled(tessera);
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    env: fullEnv,
    clock,
    output: () => output,
    issuer: (slug) => `${fullEnv.PUBLIC_URL ?? url}/t/${slug}`,
    cli: async (argv) => {
      const result = await (options.spawnCli ? runCli(argv, fullEnv, options.cwd) : runCliInProcess(argv, fullEnv, options.cwd, cliDatabase));
      await settled();
      return result;
    },
    stop() {
      stopped ??= (async () => {
        // as main.ts on SIGTERM: no new connections, in-flight requests finish; a client holding a socket open gets cut off
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(timer);
        await tessera.close();
        await cliDatabase.close();
      })();
      return stopped;
    },
  };
}
