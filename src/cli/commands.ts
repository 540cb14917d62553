// The CLI's operations, independent of where they run: in the CLI process against PostgreSQL, or inside the
// running server when the embedded database is in use (cli.routes.ts). Each returns a JSON-able result.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { migrate } from '../db/migrate.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const usage = `Usage: tessera <command> [options]

  tenant create <slug> [--name "Acme"] [--id-token-alg RS256|ES256|EdDSA] [--access-token-alg RS256|ES256|EdDSA]
  tenant list
  client create --tenant <slug> --name <name> [--redirect-uri <uri>]... [--post-logout-redirect-uri <uri>]...
                [--grant authorization_code|refresh_token|client_credentials]... [--public] [--scope "<scopes>"]
                [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none]
                [--first-party] [--refresh-token-reuse-interval <seconds>] [--jwks-uri <uri>] [--jwks '<json>']
  user create --tenant <slug> --email <email> --password <password> [--name "<name>"] [--verified]
  keys rotate --tenant <slug> [--alg RS256|ES256|EdDSA]
  keys list --tenant <slug>
  db migrate

Every command prints JSON on stdout. Without DATABASE_URL, commands run inside the running server
(embedded database) or, when none runs, against ./data directly.`;

type Options = ParseArgsConfig['options'];

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function parse(args: string[], options: Options, positionals = 0): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number`);
  return Number(value);
}

function json(value: string | undefined, flag: string): { keys: unknown[] } | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as { keys: unknown[] };
  } catch {
    throw new UsageError(`${flag} must be a JSON Web Key Set`);
  }
}

/** @throws UsageError for malformed arguments, AppError for refused operations */
export async function runCommand(services: Services, argv: string[]): Promise<unknown> {
  const [group, action, ...rest] = argv;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  switch (command) {
    case 'tenant create': {
      const { values, positionals } = parse(rest, { name: { type: 'string' }, 'id-token-alg': { type: 'string' }, 'access-token-alg': { type: 'string' } }, 1);
      const tenant = await services.tenants.create({
        slug: required(positionals[0], '<slug>'),
        name: values.name as string | undefined,
        idTokenSigningAlg: values['id-token-alg'] as string | undefined,
        accessTokenSigningAlg: values['access-token-alg'] as string | undefined,
      });
      return { slug: tenant.slug, name: tenant.name, issuer: tenant.issuer, id_token_alg: tenant.settings.idTokenSigningAlg, access_token_alg: tenant.settings.accessTokenSigningAlg };
    }
    case 'tenant list': {
      parse(rest, {});
      return (await services.tenants.list()).map((t) => ({ slug: t.slug, name: t.name, issuer: t.issuer }));
    }
    case 'client create': {
      const { values: v } = parse(rest, {
        tenant: { type: 'string' }, name: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true }, 'post-logout-redirect-uri': { type: 'string', multiple: true },
        grant: { type: 'string', multiple: true }, public: { type: 'boolean' }, scope: { type: 'string' },
        'auth-method': { type: 'string' }, 'first-party': { type: 'boolean' }, 'refresh-token-reuse-interval': { type: 'string' },
        'jwks-uri': { type: 'string' }, jwks: { type: 'string' },
      });
      const tenant = await services.tenants.get(required(v.tenant as string | undefined, '--tenant'));
      return services.clients.create(tenant.id, {
        name: required(v.name as string | undefined, '--name'),
        redirectUris: v['redirect-uri'] as string[] | undefined,
        postLogoutRedirectUris: v['post-logout-redirect-uri'] as string[] | undefined,
        grants: v.grant as string[] | undefined,
        public: v.public as boolean | undefined,
        scope: v.scope as string | undefined,
        authMethod: v['auth-method'] as string | undefined,
        firstParty: v['first-party'] as boolean | undefined,
        refreshTokenReuseInterval: integer(v['refresh-token-reuse-interval'] as string | undefined, '--refresh-token-reuse-interval'),
        jwksUri: v['jwks-uri'] as string | undefined,
        jwks: json(v.jwks as string | undefined, '--jwks'),
      }, await services.clientValidator(tenant.slug));
    }
    case 'user create': {
      const { values: v } = parse(rest, {
        tenant: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, verified: { type: 'boolean' },
      });
      const tenant = await services.tenants.get(required(v.tenant as string | undefined, '--tenant'));
      const user = await services.users.create(tenant.id, {
        email: required(v.email as string | undefined, '--email'),
        password: required(v.password as string | undefined, '--password'),
        name: v.name as string | undefined,
        emailVerified: (v.verified as boolean | undefined) ?? false,
      });
      return { id: user.id, email: user.email };
    }
    case 'keys rotate': {
      const { values: v } = parse(rest, { tenant: { type: 'string' }, alg: { type: 'string' } });
      const slug = required(v.tenant as string | undefined, '--tenant');
      const rotated = await services.tenants.rotateKey(slug, (v.alg as string | undefined) ?? 'RS256');
      return { kid: rotated.kid, alg: rotated.alg, tenant: slug };
    }
    case 'keys list': {
      const { values: v } = parse(rest, { tenant: { type: 'string' } });
      const tenant = await services.tenants.get(required(v.tenant as string | undefined, '--tenant'));
      return services.keys.listPublished(tenant.id);
    }
    case 'db migrate':
      parse(rest, {});
      return { applied: [...services.appliedMigrations, ...(await migrate(services.db))] };
    default:
      throw new UsageError(group ? `unknown command "${command}"` : 'no command given');
  }
}

export function errorOutput(error: unknown): { error: string; message: string; exitCode: number } {
  if (error instanceof UsageError) return { error: 'cli.usage', message: `${error.message}\n\n${usage}`, exitCode: 2 };
  if (error instanceof AppError) return { error: error.code, message: error.message, exitCode: 1 };
  const coded = error as { code?: unknown; message?: string };
  if (typeof coded?.code === 'string' && coded.code.startsWith('db.')) return { error: coded.code, message: coded.message ?? 'database error', exitCode: 1 };
  return { error: 'internal.error', message: (error as Error)?.message ?? String(error), exitCode: 1 };
}
