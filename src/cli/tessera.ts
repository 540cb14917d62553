#!/usr/bin/env node
// `tessera`: manages an installation and prints JSON. With DATABASE_URL it works on PostgreSQL directly.
// On the embedded database it never opens ./data while a server holds it: it asks that server instead.
// Only light modules load up front: arguments are checked before the server's modules (services) load.
// With TESSERA_URL (and a client id and secret) it works through that installation's Management API instead.
import { loadConfig, ConfigError } from '../config/config.js';
import { readDotEnv, withDevelopmentSecrets } from '../config/environment.js';
import { acquireEmbeddedLock, readEmbeddedLock } from '../db/embedded-lock.js';
import { cliPath, errorOutput, isPrinted, prepareCommand, usage, type PreparedCommand } from './commands.js';

function succeedWith(text: string): never {
  process.stdout.write(text);
  process.exit(0);
}

function succeed(result: unknown): never {
  if (isPrinted(result)) {
    process.stdout.write(result.printed);
    process.exit(result.exitCode);
  }
  succeedWith(`${JSON.stringify(result, null, 2)}\n`);
}

function fail(error: string, message: string, exitCode: number): never {
  process.stderr.write(`tessera: ${message}\n`);
  void error;
  process.exit(exitCode);
}

async function viaServer(url: string, token: string, argv: string[]): Promise<never> {
  let response: Response;
  try {
    response = await fetch(new URL(cliPath, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ argv }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    fail('cli.server_unreachable', `a Tessera server holds the embedded database but does not answer at ${url} (${(error as Error).message}). Wait for it to start, or stop it.`, 1);
  }
  const body = (await response.json().catch(() => ({}))) as { result?: unknown; error?: string; message?: string; exitCode?: number };
  if (response.ok) succeed(body.result);
  fail(body.error ?? 'internal.error', body.message ?? `server answered ${response.status}`, body.exitCode ?? 1);
}

/** TESSERA_URL mode: the command runs through the Management API with a system-tenant client's token */
async function viaApi(argv: string[], url: string): Promise<never> {
  const clientId = process.env.TESSERA_CLIENT_ID;
  const clientSecret = process.env.TESSERA_CLIENT_SECRET;
  if (!clientId || !clientSecret) fail('config.invalid', 'TESSERA_URL needs TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET: a system-tenant client with management scopes.', 1);
  try {
    const command = (await import('./remote-commands.js')).prepareRemoteCommand(argv);
    succeed(await command((await import('./invoke.js')).remoteInvoke({ url, clientId, clientSecret })));
  } catch (error) {
    const out = errorOutput(error);
    fail(out.error, out.message, out.exitCode);
  }
}

async function main(argv: string[]): Promise<never> {
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) succeedWith(`${usage}\n`);
  if (process.env.TESSERA_URL) return viaApi(argv, process.env.TESSERA_URL);
  let command: PreparedCommand;
  try {
    command = prepareCommand(argv);
  } catch (error) {
    const out = errorOutput(error);
    fail(out.error, out.message, out.exitCode);
  }
  let config;
  try {
    config = loadConfig(withDevelopmentSecrets(readDotEnv(process.env)));
  } catch (error) {
    if (error instanceof ConfigError) fail('config.invalid', error.message, 1);
    throw error;
  }
  let lock: ReturnType<typeof acquireEmbeddedLock> | undefined;
  if (!config.databaseUrl) {
    const holder = readEmbeddedLock(config.dataDir);
    if (holder?.url && holder.token) return viaServer(holder.url, holder.token, argv);
    try {
      lock = acquireEmbeddedLock(config.dataDir);
    } catch (error) {
      const out = errorOutput(error);
      fail(out.error, out.message, out.exitCode);
    }
  }
  const migrateNow = !config.databaseUrl || (argv[0] === 'db' && argv[1] === 'migrate');
  let services;
  try {
    const [{ createServices }, { createLogger }] = await Promise.all([import('../services.js'), import('../logging/logger.js')]);
    services = await createServices(config, createLogger('silent'), { migrate: migrateNow });
    const result = await command(services, { appliedAtOpen: services.appliedMigrations });
    await services.close();
    lock?.release();
    succeed(result);
  } catch (error) {
    await services?.close().catch(() => undefined);
    lock?.release();
    const out = errorOutput(error);
    fail(out.error, out.message, out.exitCode);
  }
}

void main(process.argv.slice(2));
