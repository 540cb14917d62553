// Builds the environment loadConfig sees: process env, then `.env`, then (development only) secrets kept under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config.js';

type Env = Record<string, string | undefined>;

/** Reads `.env` from the working directory when present; real environment variables win. */
export function readDotEnv(env: Env, file = '.env'): Env {
  if (!existsSync(file)) return { ...env };
  const fromFile: Env = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1(?:\s+#.*)?$/.exec(value);
    // as dotenv: a # after whitespace starts a comment unless the value is quoted
    value = quoted ? quoted[2]! : value.replace(/\s+#.*$/, '');
    fromFile[match[1]!] = value;
  }
  return { ...fromFile, ...env };
}

const generated = ['KEY_ENCRYPTION_KEY', 'COOKIE_SECRETS'] as const;

/** the secrets withDevelopmentSecrets fills in for `env` (none set there), for the start-up report */
export function secretsToGenerate(env: Env): string[] {
  if ((env.NODE_ENV ?? 'development') === 'production') return [];
  return generated.filter((key) => !env[key]);
}

/**
 * Outside production, fills missing secrets from DATA_DIR/secrets.json, creating it (mode 0600) on first use,
 * so a new user needs no setup and restarts keep the same keys. Production never gets generated secrets.
 */
export function withDevelopmentSecrets(env: Env): Env {
  if ((env.NODE_ENV ?? 'development') === 'production') return env;
  if (generated.every((key) => env[key])) return env;
  const dataDir = resolve(env.DATA_DIR || 'data');
  const file = join(dataDir, 'secrets.json');
  const stored = readStoredSecrets(file) ?? createStoredSecrets(dataDir, file);
  const out = { ...env };
  for (const key of generated) out[key] ||= stored[key];
  return out;
}

function readStoredSecrets(file: string): Record<string, string> | null {
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (stored && typeof stored === 'object' && !Array.isArray(stored)) return stored as Record<string, string>;
  } catch { /* reported below */ }
  throw new ConfigError([`DATA_DIR: ${file} is damaged; restore it, or set KEY_ENCRYPTION_KEY and COOKIE_SECRETS (deleting it makes data encrypted under it unreadable)`]);
}

function createStoredSecrets(dataDir: string, file: string): Record<string, string> {
  mkdirSync(dataDir, { recursive: true });
  const stored = {
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    COOKIE_SECRETS: randomBytes(32).toString('base64url'),
  };
  // Written aside, then linked into place (atomic, fails if present): when two processes start together, the
  // second reads what the first wrote, never a half-written file, and never replaces it.
  const pending = `${file}.${process.pid}.tmp`;
  writeFileSync(pending, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(pending, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readStoredSecrets(file)!;
    throw error;
  } finally {
    rmSync(pending, { force: true });
  }
  return stored;
}
