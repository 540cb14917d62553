// `npm start`: configuration, the embedded-database lock, the server, the demo banner, graceful shutdown.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config/config.js';
import { readDotEnv, secretsToGenerate, withDevelopmentSecrets } from './config/environment.js';
import { developmentBehaviours } from './config/development-mode.js';
import { createLogger } from './logging/logger.js';
import { acquireEmbeddedLock } from './db/embedded-lock.js';
import { createTessera } from './app.js';
import { ensureDemo, type DemoState } from './demo/demo.service.js';
import { demoBanner, demoHint } from './demo/demo-banner.js';
import { AppError } from './errors/app-error.js';
import { firstOwnerBanner } from './accounts/first-owner.service.js';
import { createStartGate } from './http/start-gate.js';
import { closeGracefully } from './operations/graceful-shutdown.js';

/** requests still running this long after SIGTERM are cut (under the usual 30 s before an orchestrator's SIGKILL) */
const shutdownDeadlineMs = 25_000;

/** @throws StartError with a message an operator can act on when the port cannot be had */
function listen(server: ReturnType<typeof createServer>, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host ?? 'all interfaces'} port ${port}`;
      if (error.code === 'EADDRINUSE') reject(new StartError(`${where} is already in use (another Tessera?). Stop that process or set PORT.`));
      else if (error.code === 'EACCES') reject(new StartError(`no permission to listen on ${where}: choose a PORT above 1023.`));
      else reject(error);
    });
    server.listen(port, host, resolve);
  });
}

/** a start-up failure whose message says it all (no stack trace) */
class StartError extends Error {}

async function main() {
  let config;
  const env = readDotEnv(process.env);
  try {
    config = loadConfig(withDevelopmentSecrets(env));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Tessera cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { pretty: config.env === 'development' });
  const embedded = !config.databaseUrl;

  // The port first: a busy port is reported before the lock, migrations or seeding, and until the app is ready
  // every request is answered 503 (start-gate.ts), so none can reach a half-started server.
  const gate = createStartGate();
  const server = createServer(gate.listener);
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const cliToken = embedded ? randomBytes(32).toString('base64url') : undefined;
  let lock: ReturnType<typeof acquireEmbeddedLock> | undefined;
  let tessera: Awaited<ReturnType<typeof createTessera>> | undefined;
  let demo: DemoState | null = null;
  try {
    lock = embedded ? acquireEmbeddedLock(config.dataDir) : undefined;
    tessera = await createTessera(config, logger, { cliToken });
    demo = config.seedDemo ? await ensureDemo(tessera.services) : null;
  } catch (error) {
    await tessera?.close().catch(() => undefined);
    lock?.release();
    server.close();
    throw error;
  }
  gate.open(tessera.app.callback());
  // the CLI finds the server through the lock only once the server answers
  lock?.update({ url: `http://${cliHost(config.host)}:${port}`, token: cliToken });
  logger.info({ port, publicUrl: config.publicUrl.origin, database: embedded ? 'embedded' : 'postgresql', store: config.redisUrl ? 'redis' : 'memory' }, 'Tessera is listening');
  for (const line of developmentBehaviours(config, secretsToGenerate(env))) process.stdout.write(`${line}\n`);
  // the full details when they are new (first start, a new PORT or PUBLIC_URL), else where to find them
  if (demo) process.stdout.write(demo.changed ? demoBanner(demo.info) : demoHint(config.publicUrl.origin));
  // the one place the first-run page's token appears (never the logs): it works once, for an hour, while no owner exists
  const setupToken = await tessera!.services.firstOwner.issueToken();
  if (setupToken) process.stdout.write(firstOwnerBanner(config.publicUrl, setupToken));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await closeGracefully(server, shutdownDeadlineMs);
    await tessera!.close();
    lock?.release();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof AppError || error instanceof StartError || (error as { code?: string })?.code?.startsWith?.('db.')
    ? (error as Error).message
    : (error as Error)?.stack ?? String(error);
  process.stderr.write(`Tessera cannot start: ${message}\n`);
  process.exit(1);
});

/** where the local CLI reaches this server: loopback when bound to every interface, else the bound address */
function cliHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::' || host === 'localhost') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
