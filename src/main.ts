// `npm start`: configuration, the embedded-database lock, the server, the demo banner, graceful shutdown.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config/config.js';
import { readDotEnv, withDevelopmentSecrets } from './config/environment.js';
import { createLogger } from './logging/logger.js';
import { acquireEmbeddedLock } from './db/embedded-lock.js';
import { createTessera } from './app.js';
import { seedDemo, demoBanner } from './demo/demo-seed.js';
import { AppError } from './errors/app-error.js';

async function main() {
  let config;
  try {
    config = loadConfig(withDevelopmentSecrets(readDotEnv(process.env)));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Tessera cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const embedded = !config.databaseUrl;
  const cliToken = embedded ? randomBytes(32).toString('base64url') : undefined;
  const lock = embedded ? acquireEmbeddedLock(config.dataDir) : undefined;

  const tessera = await createTessera(config, logger, { cliToken });
  const demo = config.seedDemo ? await seedDemo(tessera.services) : null;

  const server = createServer(tessera.app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  lock?.update({ url: `http://127.0.0.1:${port}`, token: cliToken });
  logger.info({ port, publicUrl: config.publicUrl.origin, database: embedded ? 'embedded' : 'postgresql', store: config.redisUrl ? 'redis' : 'memory' }, 'Tessera is listening');
  if (demo) process.stdout.write(demoBanner(demo));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.closeIdleConnections();
    await new Promise((resolve) => server.close(resolve));
    await tessera.close();
    lock?.release();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof AppError || (error as { code?: string })?.code?.startsWith?.('db.')
    ? (error as Error).message
    : (error as Error)?.stack ?? String(error);
  process.stderr.write(`Tessera cannot start: ${message}\n`);
  process.exit(1);
});
