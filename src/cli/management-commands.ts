// The CLI's Management API commands: each parses its flags, then runs registry operations through `Invoke`,
// the same way in-process (local operator) and over HTTP (TESSERA_URL). Roles, APIs and audit: rbac-commands.ts.
import type { Invoke } from './invoke.js';
import { jsonFlag, list, need, parseFlags, text, UsageError, type Options } from './cli-args.js';

export type ManagementCommand = (args: string[]) => (invoke: Invoke) => Promise<unknown>;

const tenantFlag: Options = { tenant: { type: 'string' } };
const page: Options = { limit: { type: 'string' }, cursor: { type: 'string' } };
const pageQuery = (v: Record<string, unknown>) => ({ limit: text(v.limit), cursor: text(v.cursor) });

/** `--tenant <slug> --id <id>`: the commands that act on one user or client */
function one(operation: string, extra: (v: Record<string, unknown>) => unknown = () => undefined): ManagementCommand {
  return (args) => {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    return (invoke) => invoke(operation, { params, body: extra(v) });
  };
}

const deleted = (what: string) => async (done: Promise<unknown>) => {
  await done;
  return { deleted: what };
};

export const managementCommands: Record<string, ManagementCommand> = {
  'app create'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, name: { type: 'string' }, slug: { type: 'string' }, 'reuse-interval': { type: 'string' }, 'allowed-origin': { type: 'string', multiple: true } });
    const params = { slug: need(text(v.tenant), '--tenant') };
    const interval = text(v['reuse-interval']);
    const origins = list(v['allowed-origin']);
    const body = {
      name: need(text(v.name), '--name'), slug: need(text(v.slug), '--slug'),
      ...(interval !== undefined ? { refresh_token_reuse_interval: Number(interval) } : {}), ...(origins?.length ? { allowed_origins: origins } : {}),
    };
    return (invoke) => invoke('createApp', { params, body });
  },
  'registration token'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ttl: { type: 'string' }, 'multi-use': { type: 'boolean' } });
    const params = { slug: need(text(v.tenant), '--tenant') };
    const ttl = text(v.ttl);
    const body = { singleUse: !v['multi-use'], ...(ttl !== undefined ? { ttlSeconds: Number(ttl) } : {}) };
    return (invoke) => invoke('createInitialAccessToken', { params, body });
  },
  'tenant get'(args) {
    const { values: v } = parseFlags(args, tenantFlag);
    const slug = need(text(v.tenant), '--tenant');
    return (invoke) => invoke('getTenant', { params: { slug } });
  },
  'tenant delete'(args) {
    const { values: v } = parseFlags(args, tenantFlag);
    const slug = need(text(v.tenant), '--tenant');
    return (invoke) => deleted(`tenant ${slug}`)(invoke('deleteTenant', { params: { slug } }));
  },

  'env create'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, name: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant') };
    return (invoke) => invoke('createEnvironment', { params, body: { name: need(text(v.name), '--name') } });
  },
  'env list'(args) {
    const { values: v } = parseFlags(args, tenantFlag);
    return (invoke) => invoke('listEnvironments', { params: { slug: need(text(v.tenant), '--tenant') } });
  },

  'env promote'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, from: { type: 'string' }, to: { type: 'string' }, yes: { type: 'boolean' } });
    const params = { slug: need(text(v.tenant), '--tenant') };
    const body = { from: need(text(v.from), '--from'), to: need(text(v.to), '--to'), apply: v.yes === true };
    return (invoke) => invoke('promoteEnvironment', { params, body });
  },

  'client list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ...page });
    const slug = need(text(v.tenant), '--tenant');
    return (invoke) => invoke('listClients', { params: { slug }, query: pageQuery(v) });
  },
  'client get': one('getClient'),
  'client update'(args) {
    const { values: v } = parseFlags(args, {
      ...tenantFlag, id: { type: 'string' }, name: { type: 'string' }, 'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true }, scope: { type: 'string' }, 'backchannel-logout-uri': { type: 'string' },
      'operator-tenant': { type: 'string', multiple: true }, 'allowed-origin': { type: 'string', multiple: true }, set: { type: 'string' },
    });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    const body = {
      ...jsonFlag(text(v.set), '--set'),
      ...(v.name !== undefined ? { client_name: text(v.name) } : {}),
      ...(v['redirect-uri'] ? { redirect_uris: list(v['redirect-uri']) } : {}),
      ...(v['post-logout-redirect-uri'] ? { post_logout_redirect_uris: list(v['post-logout-redirect-uri']) } : {}),
      ...(v.scope !== undefined ? { scope: text(v.scope) } : {}),
      ...(v['backchannel-logout-uri'] !== undefined ? { backchannel_logout_uri: text(v['backchannel-logout-uri']) } : {}),
      ...(v['operator-tenant'] ? { operator_tenants: list(v['operator-tenant']) } : {}),
      ...(v['allowed-origin'] ? { allowed_origins: list(v['allowed-origin']) } : {}),
    };
    if (!Object.keys(body).length) throw new UsageError('nothing to change: give --name, --redirect-uri, --scope … or --set \'<json>\'');
    return (invoke) => invoke('updateClient', { params, body });
  },
  'client rotate-secret': one('rotateClientSecret'),
  'client delete'(args) {
    const run = one('deleteClient')(args);
    return (invoke) => deleted('client')(run(invoke));
  },

  'user list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ...page, email: { type: 'string' }, phone: { type: 'string' }, name: { type: 'string' }, q: { type: 'string' } });
    const slug = need(text(v.tenant), '--tenant');
    const query = { ...pageQuery(v), email: text(v.email), phone: text(v.phone), name: text(v.name), q: text(v.q) };
    return (invoke) => invoke('searchUsers', { params: { slug }, query });
  },
  'user get': one('getUser'),
  'user update'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' }, name: { type: 'string' }, profile: { type: 'string' }, metadata: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    const profile = { ...jsonFlag(text(v.profile), '--profile'), ...(v.name !== undefined ? { name: text(v.name) } : {}) };
    const metadata = jsonFlag(text(v.metadata), '--metadata');
    const body = { ...(Object.keys(profile).length ? { profile } : {}), ...(metadata ? { metadata } : {}) };
    if (!Object.keys(body).length) throw new UsageError('nothing to change: give --name, --profile \'<json>\' or --metadata \'<json>\'');
    return (invoke) => invoke('updateUser', { params, body });
  },
  'user disable': one('disableUser'),
  'user enable': one('enableUser'),
  'user delete'(args) {
    const run = one('deleteUser')(args);
    return (invoke) => deleted('user')(run(invoke));
  },
  'user roles': one('listUserRoles'),
  'user identities': one('listUserIdentities'),
  'user factors': one('listUserFactors'),
  'user reset-mfa': one('resetUserMfa'),

  'session list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, user: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.user), '--user') };
    return (invoke) => invoke('listUserSessions', { params });
  },
  'session revoke'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, user: { type: 'string' }, session: { type: 'string' }, all: { type: 'boolean' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.user), '--user') };
    const session = text(v.session);
    if (Boolean(session) === Boolean(v.all)) throw new UsageError('give either --session <id> or --all');
    return (invoke) => (session ? invoke('revokeUserSession', { params: { ...params, session } }) : invoke('revokeUserSessions', { params }));
  },
};
