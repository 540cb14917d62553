// Builds the environment loadConfig sees: process env, then `.env`, then (development only) secrets kept under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Env = Record<string, string | undefined>;

/** Reads `.env` from the working directory when present; real environment variables win. */
export function readDotEnv(env: Env, file = '.env'): Env {
  if (!existsSync(file)) return { ...env };
  const fromFile: Env = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    let value = match[2]!;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    fromFile[match[1]!] = value;
  }
  return { ...fromFile, ...env };
}

const generated = ['KEY_ENCRYPTION_KEY', 'COOKIE_SECRETS'] as const;

/**
 * Outside production, fills missing secrets from DATA_DIR/secrets.json, creating it (mode 0600) on first use,
 * so a new user needs no setup and restarts keep the same keys. Production never gets generated secrets.
 */
export function withDevelopmentSecrets(env: Env): Env {
  if ((env.NODE_ENV ?? 'development') === 'production') return env;
  if (generated.every((key) => env[key])) return env;
  const dataDir = resolve(env.DATA_DIR || 'data');
  const file = join(dataDir, 'secrets.json');
  let stored: Record<string, string> = {};
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } else {
    mkdirSync(dataDir, { recursive: true });
    stored = {
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      COOKIE_SECRETS: randomBytes(32).toString('base64url'),
    };
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  const out = { ...env };
  for (const key of generated) out[key] ||= stored[key];
  return out;
}
