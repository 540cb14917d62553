// What `tessera <argv>` does, as a function of its arguments and environment: the binary (tessera.ts) prints the
// result and exits with its code; the test suite calls it in its own process instead of spawning one per command.
// Only light modules load up front: arguments are checked before the server's modules (services) load.
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../config/config.js';
import { readDotEnv, withDevelopmentSecrets } from '../config/environment.js';
import type { Database } from '../db/database.js';
import type { SigningKeyGenerator } from '../tenants/signing-keys.js';
import { acquireEmbeddedLock, readEmbeddedLock } from '../db/embedded-lock.js';
import { applyEnvironmentFlag } from './environment-flag.js';
import { cliPath, errorOutput, isPrinted, prepareCommand, storeOnFirstUse, usage, type PreparedCommand } from './commands.js';

export interface CliOutcome { exitCode: number; stdout: string; stderr: string }

type Env = Record<string, string | undefined>;

export interface SharedDatabase { url: string; database: Database; generateSigningKey?: SigningKeyGenerator }

const succeedWith = (stdout: string): CliOutcome => ({ exitCode: 0, stdout, stderr: '' });

function succeed(result: unknown): CliOutcome {
  if (isPrinted(result)) return { exitCode: result.exitCode, stdout: result.printed, stderr: '' };
  return succeedWith(`${JSON.stringify(result, null, 2)}\n`);
}

const fail = (message: string, exitCode: number): CliOutcome => ({ exitCode, stdout: '', stderr: `tessera: ${message}\n` });

const failWith = (error: unknown): CliOutcome => {
  const out = errorOutput(error);
  return fail(out.message, out.exitCode);
};

async function viaServer(url: string, token: string, argv: string[]): Promise<CliOutcome> {
  let response: Response;
  try {
    response = await fetch(new URL(cliPath, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ argv }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    return fail(`a Tessera server holds the embedded database but does not answer at ${url} (${(error as Error).message}). Wait for it to start, or stop it.`, 1);
  }
  const body = (await response.json().catch(() => ({}))) as { result?: unknown; error?: string; message?: string; exitCode?: number };
  if (response.ok) return succeed(body.result);
  return fail(body.message ?? `server answered ${response.status}`, body.exitCode ?? 1);
}

/** TESSERA_URL mode: the command runs through the Management API with a system-tenant client's token */
async function viaApi(argv: string[], url: string, env: Env): Promise<CliOutcome> {
  const clientId = env.TESSERA_CLIENT_ID;
  const clientSecret = env.TESSERA_CLIENT_SECRET;
  if (!clientId || !clientSecret) return fail('TESSERA_URL needs TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET: a system-tenant client with management scopes.', 1);
  try {
    const command = (await import('./remote-commands.js')).prepareRemoteCommand(argv);
    return succeed(await command((await import('./invoke.js')).remoteInvoke({ url, clientId, clientSecret })));
  } catch (error) {
    return failWith(error);
  }
}

/** `rls install --database-url URL`: the auth.* helpers of tessera/rls in an application database (not Tessera's own) */
async function rlsCommand(args: string[]): Promise<CliOutcome> {
  const at = args.indexOf('--database-url');
  const url = at >= 0 ? args[at + 1] : undefined;
  if (args[0] !== 'install' || !url) return fail('usage: tessera rls install --database-url postgres://user@host/appdb', 2);
  try {
    await (await import('../rls/install.js')).installAuthSchema(url);
  } catch (error) {
    const { redactPassword } = await import('../errors/redact-password.js');
    return fail(`rls install failed: ${redactPassword((error as Error).message, url)}`, 1);
  }
  return succeed({ installed: 'auth', functions: ['auth.uid()', 'auth.jwt()', 'auth.role()', 'auth.has_role(text)', 'auth.has_permission(text)', 'auth.aal()'] });
}

/**
 * Runs one command. `cwd` is where `.env` is read from; DATA_DIR (embedded database) resolves against the
 * process's working directory, so callers with the embedded database run it there. `shared`: an open database, left
 * open, that a command whose DATABASE_URL is `shared.url` runs on (services.ts, `database`), and how it makes signing
 * keys (`generateSigningKey`): the test suite's commands in its own process share one.
 */
export async function runTesseraCli(given: string[], env: Env, cwd = '.', shared?: SharedDatabase): Promise<CliOutcome> {
  let argv: string[];
  try {
    argv = applyEnvironmentFlag(given);
  } catch (error) {
    return failWith(error);
  }
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) return succeedWith(`${usage}\n`);
  if (argv[0] === 'rls') return rlsCommand(argv.slice(1));
  if (env.TESSERA_URL) return viaApi(argv, env.TESSERA_URL, env);
  let command: PreparedCommand;
  try {
    command = prepareCommand(argv);
  } catch (error) {
    return failWith(error);
  }
  let config;
  try {
    config = loadConfig(withDevelopmentSecrets(readDotEnv(env, join(cwd, '.env'))));
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message, 1);
    throw error;
  }
  let lock: ReturnType<typeof acquireEmbeddedLock> | undefined;
  if (!config.databaseUrl) {
    const holder = readEmbeddedLock(config.dataDir);
    if (holder?.url && holder.token) return viaServer(holder.url, holder.token, argv);
    try {
      lock = acquireEmbeddedLock(config.dataDir);
    } catch (error) {
      return failWith(error);
    }
  }
  const migrateNow = !config.databaseUrl || (argv[0] === 'db' && argv[1] === 'migrate');
  let services;
  try {
    const [{ createServices }, { createLogger }] = await Promise.all([import('../services.js'), import('../logging/logger.js')]);
    const onShared = shared && config.databaseUrl === shared.url
      ? { database: shared.database, generateSigningKey: shared.generateSigningKey } : {};
    services = await createServices(config, createLogger('silent'), { migrate: migrateNow, inlineHashing: true, storeOnFirstUse: storeOnFirstUse(argv), ...onShared });
    const result = await command(services, { appliedAtOpen: services.appliedMigrations });
    await services.close();
    lock?.release();
    return succeed(result);
  } catch (error) {
    await services?.close().catch(() => undefined);
    lock?.release();
    return failWith(error);
  }
}
