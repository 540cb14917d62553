// `tessera` with TESSERA_URL, TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET: every command that has a Management
// API operation runs through the API. The commands of #2 keep the output they print locally.
import type { Invoke } from './invoke.js';
import { list, need, parseFlags, rotationOptions, text, UsageError } from './cli-args.js';
import { managementCommands, type ManagementCommand } from './management-commands.js';
import { allItems, rbacCommands } from './rbac-commands.js';
import { licenseCommands } from './license-commands.js';
import type { Printed } from './commands.js';

const tenantOnly = (args: string[]) => need(text(parseFlags(args, { tenant: { type: 'string' } }).values.tenant), '--tenant');

const earlierCommands: Record<string, ManagementCommand> = {
  'tenant create'(args) {
    const { values: v, positionals } = parseFlags(args, { name: { type: 'string' }, 'id-token-alg': { type: 'string' }, 'access-token-alg': { type: 'string' } }, 1);
    const body = { slug: need(positionals[0], '<slug>'), name: text(v.name), idTokenSigningAlg: text(v['id-token-alg']), accessTokenSigningAlg: text(v['access-token-alg']) };
    return async (invoke) => {
      const t = (await invoke('createTenant', { body })) as { slug: string; name: string; issuer: string; settings: { idTokenSigningAlg: string; accessTokenSigningAlg: string } };
      return { slug: t.slug, name: t.name, issuer: t.issuer, id_token_alg: t.settings.idTokenSigningAlg, access_token_alg: t.settings.accessTokenSigningAlg };
    };
  },
  'tenant list'(args) {
    parseFlags(args, {});
    return (invoke) => allItems(invoke, 'listTenants', {});
  },
  'tenant settings'(args) {
    const { values: v } = parseFlags(args, { tenant: { type: 'string' }, set: { type: 'string' } });
    const slug = need(text(v.tenant), '--tenant');
    let patch: unknown;
    if (v.set !== undefined) {
      try {
        patch = JSON.parse(text(v.set)!);
      } catch {
        throw new UsageError('--set must be a JSON object (a merge patch: null removes a key)');
      }
    }
    return async (invoke) => {
      const settings = (await invoke(patch === undefined ? 'getTenantSettings' : 'updateTenantSettings', { params: { slug }, ...(patch === undefined ? {} : { body: patch }) })) as { effective: unknown };
      return settings.effective;
    };
  },
  'client create'(args) {
    const { values: v } = parseFlags(args, {
      tenant: { type: 'string' }, name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true }, 'post-logout-redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true }, public: { type: 'boolean' }, scope: { type: 'string' },
      'auth-method': { type: 'string' }, 'first-party': { type: 'boolean' }, 'refresh-token-reuse-interval': { type: 'string' },
      'jwks-uri': { type: 'string' }, jwks: { type: 'string' }, 'backchannel-logout-uri': { type: 'string' }, 'operator-tenant': { type: 'string', multiple: true },
      metadata: { type: 'string' },
    });
    const slug = need(text(v.tenant), '--tenant');
    let metadata: Record<string, unknown> = {};
    try {
      metadata = v.metadata === undefined ? {} : JSON.parse(text(v.metadata)!);
    } catch {
      throw new UsageError('--metadata must be a JSON object');
    }
    const interval = text(v['refresh-token-reuse-interval']);
    if (interval !== undefined && !/^\d+$/.test(interval)) throw new UsageError('--refresh-token-reuse-interval must be a whole number');
    let jwks: unknown;
    try {
      jwks = v.jwks === undefined ? undefined : JSON.parse(text(v.jwks)!);
    } catch {
      throw new UsageError('--jwks must be a JSON Web Key Set');
    }
    const body = {
      client_name: need(text(v.name), '--name'), redirect_uris: list(v['redirect-uri']), post_logout_redirect_uris: list(v['post-logout-redirect-uri']),
      grant_types: list(v.grant), public: v.public as boolean | undefined, scope: text(v.scope), token_endpoint_auth_method: text(v['auth-method']),
      first_party: v['first-party'] as boolean | undefined, refresh_token_reuse_interval: interval === undefined ? undefined : Number(interval),
      jwks_uri: text(v['jwks-uri']), jwks, backchannel_logout_uri: text(v['backchannel-logout-uri']), operator_tenants: list(v['operator-tenant']),
      ...metadata,
    };
    return async (invoke) => {
      const c = (await invoke('createClient', { params: { slug }, body })) as Record<string, unknown>;
      return { client_id: c.client_id, client_secret: c.client_secret, client_name: c.client_name, token_endpoint_auth_method: c.token_endpoint_auth_method, grant_types: c.grant_types, redirect_uris: c.redirect_uris };
    };
  },
  'user create'(args) {
    const { values: v } = parseFlags(args, { tenant: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, verified: { type: 'boolean' } });
    const slug = need(text(v.tenant), '--tenant');
    const body = { email: need(text(v.email), '--email'), password: need(text(v.password), '--password'), name: text(v.name), email_verified: (v.verified as boolean | undefined) ?? false };
    return async (invoke) => {
      const user = (await invoke('createUser', { params: { slug }, body })) as { id: string; email: string };
      return { id: user.id, email: user.email };
    };
  },
  'keys rotate'(args) {
    const { values: v } = parseFlags(args, { tenant: { type: 'string' }, alg: { type: 'string' }, 'pre-publish': { type: 'string' }, emergency: { type: 'boolean' } });
    const slug = need(text(v.tenant), '--tenant');
    const body = { alg: text(v.alg) ?? 'RS256', ...rotationOptions(text(v['pre-publish']), v.emergency as boolean | undefined) };
    return async (invoke) => ({ ...((await invoke('rotateKey', { params: { slug }, body })) as object), tenant: slug });
  },
  'keys list'(args) {
    const slug = tenantOnly(args);
    return (invoke) => allItems(invoke, 'listKeys', { slug });
  },
  'audit verify'(args) {
    const slug = tenantOnly(args);
    return async (invoke): Promise<Printed> => {
      const r = (await invoke('verifyAudit', { params: { slug } })) as { ok: boolean; checked: number; unchained: number; anchor?: unknown; firstBroken?: unknown };
      const report = { ok: r.ok, entries: r.checked, unchained: r.unchained, anchor: r.anchor ?? null, firstBroken: r.firstBroken ?? null };
      return { printed: `${JSON.stringify(report, null, 2)}\n`, exitCode: report.ok ? 0 : 1 };
    };
  },
  'audit export'(args) {
    const slug = tenantOnly(args);
    return async (invoke): Promise<Printed> => ({ printed: (await invoke('exportAudit', { params: { slug } })) as string, exitCode: 0 });
  },
};

/** @throws UsageError for a command the Management API does not offer or malformed arguments */
export function prepareRemoteCommand(argv: string[]): (invoke: Invoke) => Promise<unknown> {
  const [group, action, ...rest] = argv;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  const prepare = [earlierCommands, managementCommands, rbacCommands, licenseCommands].find((table) => Object.hasOwn(table, command))?.[command];
  if (!prepare) throw new UsageError(group ? `"${command}" is not available through the Management API (TESSERA_URL is set)` : 'no command given');
  return prepare(rest);
}
