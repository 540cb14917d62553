// The CLI's operations, independent of where they run: in the CLI process against PostgreSQL, or inside the
// running server when the embedded database is in use (cli.routes.ts). Each returns a JSON-able result.
import type { PreparedCommand } from './prepared-command.js';
import type { ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { parseFlags, rotationOptions, UsageError } from './cli-args.js';
import { managementCommands } from './management-commands.js';
import { rbacCommands } from './rbac-commands.js';
import { licenseCommands } from './license-commands.js';
import { demoCommand } from './demo-command.js';

/** where a running server takes commands from the local CLI (embedded database only, cli.routes.ts) */
export const cliPath = '/internal/cli';

/** a result printed as it is rather than as JSON (JSON lines, a report with its own exit code) */
export interface Printed { printed: string; exitCode: number }
export const isPrinted = (result: unknown): result is Printed =>
  typeof result === 'object' && result !== null && typeof (result as Printed).printed === 'string' && typeof (result as Printed).exitCode === 'number';

export { UsageError };

export const usage = `Usage: tessera <command> [options]

  tenant create <slug> [--name "Acme"] [--id-token-alg RS256|ES256|EdDSA] [--access-token-alg RS256|ES256|EdDSA]
  tenant list
  rls install --database-url <url>   (the auth.* row-level-security helpers of tessera/rls, in YOUR application database)
  tenant settings --tenant <slug> [--set '<json merge patch>']   (credentials are stored encrypted, shown as "(set)")
  client create --tenant <slug> --name <name> [--redirect-uri <uri>]... [--post-logout-redirect-uri <uri>]...
                [--grant authorization_code|refresh_token|client_credentials|implicit]... [--public] [--scope "<scopes>"]
                [--auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|tls_client_auth|self_signed_tls_client_auth|none]
                [--first-party] [--refresh-token-reuse-interval <seconds>] [--jwks-uri <uri>] [--jwks '<json>']
                [--backchannel-logout-uri <uri>] [--operator-tenant <slug>]...   (system tenant: Management API clients)
                [--metadata '<json>']   (PAR, DPoP, JAR, JARM, pairwise, mTLS metadata by RFC 7591 name, README "Protocol profiles")
  app create --tenant <slug> --name <name> --slug <app-slug> [--reuse-interval <seconds>] [--allowed-origin <origin>]...
                (an app of the backend OTP API /auth/…: prints app_id, app_secret once, app_slug, jwt_public_key, jwks_uri)
  registration token --tenant <slug> [--ttl <seconds>] [--multi-use]   initial access token for RFC 7591 registration
  user create --tenant <slug> --email <email> --password <password> [--name "<name>"] [--verified]
  keys rotate --tenant <slug> [--alg RS256|ES256|EdDSA] [--pre-publish <seconds, default 3600> | --emergency]
  outbox list --tenant <slug>     (messages a development or sandbox tenant would have sent, with their codes)
  keys list --tenant <slug>
  audit verify --tenant <slug> [--export <file.jsonl>]   (walks the tenant's hash chain from its anchor; exit 1 and the
                first broken link when it does not hold; with --export, checks a file written by audit prune instead)
  audit prune --tenant <slug> --before <ISO time> --export <file.jsonl>   (writes the entries older than that to a new
                file, flushes it to disk, then deletes them and anchors the chain at the last one)
  audit export --tenant <slug>    (every entry as JSON lines, oldest first)
  db migrate
  demo [--reset]                  (development: the demo's issuer, client id and secret, user and sign-in URL;
                                   --reset gives it a new client secret and password)

  env create --tenant <slug> --name <environment>   (prints {environment, issuer}; its issuer is {PUBLIC_URL}/t/<slug>~<environment>)
  env list --tenant <slug>
  env promote --tenant <slug> --from <environment> --to <environment> [--yes]
                (the diff of settings, APIs, roles and clients; --yes applies it in one transaction)
  --env <environment>             (every command that takes --tenant: act on that environment of the tenant; default live)

  tenant get|delete --tenant <slug>
  client list --tenant <slug> [--limit <1-100>] [--cursor <cursor>]
  client get|rotate-secret|delete --tenant <slug> --id <client_id>
  client update --tenant <slug> --id <client_id> [--name <name>] [--redirect-uri <uri>]... [--post-logout-redirect-uri <uri>]...
                [--scope "<scopes>"] [--backchannel-logout-uri <uri>] [--operator-tenant <slug>]... [--allowed-origin <origin>]... [--set '<json>']
  user list --tenant <slug> [--email <email>] [--phone <phone>] [--name <name>] [--q <text>] [--limit <1-100>] [--cursor <cursor>]
  user get|disable|enable|delete|roles|identities|factors|reset-mfa --tenant <slug> --id <user id>
  user update --tenant <slug> --id <user id> [--name <name>] [--profile '<json merge patch>'] [--metadata '<json merge patch>']
  role list --tenant <slug>            role get|delete --tenant <slug> --name <role>
  role create|update --tenant <slug> --name <role> [--description <text>] [--api <identifier>]
                [--permission <api identifier>#<permission>]...   (update replaces the permissions; --no-permissions clears them)
  role assign|unassign --tenant <slug> (--user <id> | --client <client_id>) --role <role>...
  api list --tenant <slug>             api get|delete --tenant <slug> --id <api id>
  api create --tenant <slug> --identifier <uri> --name <name> [--permission <permission>]...
  api update --tenant <slug> --id <api id> [--name <name>] [--permission <permission>]...   (replaces the permissions)
  session list --tenant <slug> --user <user id>
  session revoke --tenant <slug> --user <user id> (--session <id> | --all)
  audit list --tenant <slug> [--type <type>] [--subject <s>] [--actor <a>] [--from <ISO time>] [--to <ISO time>] [--limit <1-100>] [--cursor <cursor>]
  license product create --tenant <slug> --name <name> --max-devices <n> [--days <n>] [--floating --lease <seconds>]
                [--entitlement <name>]... [--heartbeat <seconds>] [--grace <seconds>] [--churn-limit <per hour>]   (prints product_id, policy_id)
  license product list --tenant <slug>      license policy create --tenant <slug> --product <id> --max-devices <n> [policy flags]
  license issue --tenant <slug> --product <id> [--policy <id>] [--user <user id>] [--count <n>]   (keys are shown once)
  license list --tenant <slug> [--product <id>] [--user <id>] [--status active|revoked|expired] [--key-hint <last group>]
  license get --tenant <slug> --id <license id>   (activations and their last heartbeat)
  license revoke --tenant <slug> --id <license id> [--activation <activation id>]
  license extend --tenant <slug> --id <license id> (--days <n> | --expires-at <ISO time> | --perpetual)
  license transfer --tenant <slug> --id <license id> (--user <user id> | --unassign)

Every command prints JSON on stdout. Without DATABASE_URL, commands run inside the running server
(embedded database) or, when none runs, against ./data directly. With TESSERA_URL, TESSERA_CLIENT_ID and
TESSERA_CLIENT_SECRET (a system-tenant client with management scopes), they run through that server's
Management API (/api) instead; outbox list and db migrate stay local.`;

type Options = ParseArgsConfig['options'];

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** the one flag parser (cli-args.ts) */
const parse = (args: string[], options: NonNullable<Options>, positionals = 0) => parseFlags(args, options, positionals);

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
    throw new UsageError(`${flag} must be valid JSON`);
  }
}

export type { CommandContext, PreparedCommand } from './prepared-command.js';

const str = (value: unknown) => value as string | undefined;

// Each entry checks its arguments synchronously and returns the work: bad input is refused before the CLI
// loads the server's modules or opens a database, so it fails fast even when nothing else would run.
const commands: Record<string, (args: string[]) => PreparedCommand> = {
  'tenant create'(args) {
    const { values, positionals } = parse(args, { name: { type: 'string' }, 'id-token-alg': { type: 'string' }, 'access-token-alg': { type: 'string' } }, 1);
    const input = {
      slug: required(positionals[0], '<slug>'),
      name: str(values.name),
      idTokenSigningAlg: str(values['id-token-alg']),
      accessTokenSigningAlg: str(values['access-token-alg']),
    };
    return async (services) => {
      const tenant = await services.tenants.create(input);
      return { slug: tenant.slug, name: tenant.name, issuer: tenant.issuer, id_token_alg: tenant.settings.idTokenSigningAlg, access_token_alg: tenant.settings.accessTokenSigningAlg };
    };
  },
  'tenant settings'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' }, set: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    let patch: unknown;
    if (v.set !== undefined) {
      try {
        patch = JSON.parse(str(v.set)!);
      } catch {
        throw new UsageError('--set must be a JSON object (a merge patch: null removes a key)');
      }
    }
    return async (services) => {
      if (patch !== undefined) await services.tenants.updateSettings(slug, patch, { actor: 'cli' });
      return (await services.tenants.settings(slug)).effective;
    };
  },
  'outbox list'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    return async (services) => services.outbox.list((await services.tenants.get(slug)).id);
  },
  'audit verify'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' }, export: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    const file = v.export === undefined ? undefined : resolve(str(v.export)!);
    return async (services): Promise<Printed> => {
      const tenantId = (await services.tenants.get(slug)).id;
      const report = file ? await services.auditRetention.verifyExport(tenantId, file) : await services.audit.verify(tenantId);
      return { printed: `${JSON.stringify(report, null, 2)}\n`, exitCode: report.ok ? 0 : 1 };
    };
  },
  'audit prune'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' }, before: { type: 'string' }, export: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    const before = new Date(required(str(v.before), '--before'));
    if (Number.isNaN(before.getTime())) throw new UsageError('--before must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z');
    if (before.getTime() > Date.now()) throw new UsageError('--before must not be in the future');
    const file = resolve(required(str(v.export), '--export'));
    return async (services) => services.auditRetention.prune((await services.tenants.get(slug)).id, { before, file, actor: 'cli' });
  },
  'audit export'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    return async (services): Promise<Printed> => {
      const lines: string[] = [];
      for await (const entry of services.audit.export((await services.tenants.get(slug)).id)) lines.push(JSON.stringify(entry));
      return { printed: lines.length ? `${lines.join('\n')}\n` : '', exitCode: 0 };
    };
  },
  'tenant list'(args) {
    parse(args, {});
    return async (services) => (await services.tenants.list()).map((t) => ({ slug: t.slug, name: t.name, issuer: t.issuer }));
  },
  'client create'(args) {
    const { values: v } = parse(args, {
      tenant: { type: 'string' }, name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true }, 'post-logout-redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true }, public: { type: 'boolean' }, scope: { type: 'string' },
      'auth-method': { type: 'string' }, 'first-party': { type: 'boolean' }, 'refresh-token-reuse-interval': { type: 'string' },
      'jwks-uri': { type: 'string' }, jwks: { type: 'string' },
      'backchannel-logout-uri': { type: 'string' }, 'operator-tenant': { type: 'string', multiple: true },
      metadata: { type: 'string' },
    });
    const slug = required(str(v.tenant), '--tenant');
    const input = {
      name: required(str(v.name), '--name'),
      redirectUris: v['redirect-uri'] as string[] | undefined,
      postLogoutRedirectUris: v['post-logout-redirect-uri'] as string[] | undefined,
      grants: v.grant as string[] | undefined,
      public: v.public as boolean | undefined,
      scope: str(v.scope),
      authMethod: str(v['auth-method']),
      firstParty: v['first-party'] as boolean | undefined,
      refreshTokenReuseInterval: integer(str(v['refresh-token-reuse-interval']), '--refresh-token-reuse-interval'),
      jwksUri: str(v['jwks-uri']),
      jwks: json(str(v.jwks), '--jwks'),
      backchannelLogoutUri: str(v['backchannel-logout-uri']),
      operatorTenants: v['operator-tenant'] as string[] | undefined,
      protocol: json(str(v.metadata), '--metadata') as Record<string, unknown> | undefined,
    };
    return async (services) => {
      const tenant = await services.tenants.get(slug);
      return services.clients.create(tenant.id, input, await services.clientValidator(tenant.slug));
    };
  },
  'user create'(args) {
    const { values: v } = parse(args, {
      tenant: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, verified: { type: 'boolean' },
    });
    const slug = required(str(v.tenant), '--tenant');
    const input = {
      email: required(str(v.email), '--email'),
      password: required(str(v.password), '--password'),
      name: str(v.name),
      emailVerified: (v.verified as boolean | undefined) ?? false,
    };
    return async (services) => {
      const tenant = await services.tenants.get(slug);
      const user = await services.users.create(tenant.id, { ...input, rules: tenant.settings.signIn });
      return { id: user.id, email: user.email };
    };
  },
  'keys rotate'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' }, alg: { type: 'string' }, 'pre-publish': { type: 'string' }, emergency: { type: 'boolean' } });
    const slug = required(str(v.tenant), '--tenant');
    const alg = str(v.alg) ?? 'RS256';
    const options = rotationOptions(str(v['pre-publish']), v.emergency as boolean | undefined);
    return async (services) => ({ ...(await services.tenants.rotateKey(slug, alg, options)), tenant: slug });
  },
  'keys list'(args) {
    const { values: v } = parse(args, { tenant: { type: 'string' } });
    const slug = required(str(v.tenant), '--tenant');
    return async (services) => services.keys.listPublished((await services.tenants.get(slug)).id);
  },
  'db migrate'(args) {
    parse(args, {});
    return async (services, context = {}) => {
      // loaded here: the schema engine is heavy and only this command needs it
      const { migrate } = await import('../db/migrate.js');
      return { applied: [...(context.appliedAtOpen ?? []), ...(await migrate(services.db))] };
    };
  },
};

const commandName = (argv: string[]) => `${argv[0] ?? ''} ${argv[1] ?? ''}`.trim();

// Commands that read or keep nothing in Redis and announce nothing to the servers (a new tenant, user or client is
// in no server's cache yet): they open Redis only should one use it after all, and skip loading its client. Every
// other command connects before it runs, as a server does, so that an unreachable REDIS_URL refuses it before it
// changes anything that the running servers would then not hear of.
const storeNotNeeded = new Set([
  'tenant list', 'tenant create', 'tenant get', 'user create', 'user list', 'user get', 'user roles', 'user identities',
  'user factors', 'client create', 'client list', 'client get', 'keys list', 'db migrate', 'audit verify', 'audit export',
  'audit list', 'env list', 'role list', 'api list', 'session list', 'license list', 'license product list',
]);

/** whether `tessera <argv>` can leave Redis unopened until something uses it (services.ts, storeOnFirstUse) */
export const storeOnFirstUse = (argv: string[]) => storeNotNeeded.has(commandName(argv));

/** @throws UsageError for an unknown command or malformed arguments */
export function prepareCommand(argv: string[]): PreparedCommand {
  const [group, , ...rest] = argv;
  if (group === 'demo') return demoCommand(argv.slice(1));
  const command = commandName(argv);
  const prepare = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (prepare) return prepare(rest);
  // Management API operations (management-commands.ts), run in this process as the local operator
  const operation = [managementCommands, rbacCommands, licenseCommands].find((table) => Object.hasOwn(table, command))?.[command];
  if (!operation) throw new UsageError(group ? `unknown command "${command}"` : 'no command given');
  const run = operation(rest);
  return async (services) => run((await import('./invoke.js')).localInvoke(services));
}

/** @throws UsageError for malformed arguments, AppError for refused operations */
export async function runCommand(services: Services, argv: string[]): Promise<unknown> {
  return prepareCommand(argv)(services);
}

export function errorOutput(error: unknown): { error: string; message: string; exitCode: number } {
  if (error instanceof UsageError) return { error: 'cli.usage', message: `${error.message}\n\n${usage}`, exitCode: 2 };
  if (error instanceof AppError) return { error: error.code, message: error.message, exitCode: 1 };
  const coded = error as { code?: unknown; message?: string };
  if (typeof coded?.code === 'string' && coded.code.startsWith('db.')) return { error: coded.code, message: coded.message ?? 'database error', exitCode: 1 };
  return { error: 'internal.error', message: (error as Error)?.message ?? String(error), exitCode: 1 };
}
