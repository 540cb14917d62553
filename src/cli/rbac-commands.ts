// The CLI's role, API and audit-search commands (Management API operations through `Invoke`).
import type { Invoke } from './invoke.js';
import { list, need, parseFlags, text, UsageError, type Options } from './cli-args.js';
import type { ManagementCommand } from './management-commands.js';

const tenantFlag: Options = { tenant: { type: 'string' } };
const page: Options = { limit: { type: 'string' }, cursor: { type: 'string' } };

/** every item of a paginated list */
export async function allItems<T>(invoke: Invoke, operation: string, params: Record<string, string>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = (await invoke(operation, { params, query: { limit: 100, ...(cursor ? { cursor } : {}) } })) as { items: T[]; next_cursor: string | null };
    items.push(...answer.items);
    cursor = answer.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

/**
 * `--permission` names a permission of one of the tenant's APIs: `<api identifier>#<name>` (an identifier has no
 * fragment, RFC 8707), `<name>` with `--api <identifier>`, or `<api identifier>:<name>` matched against the APIs.
 */
async function permissions(invoke: Invoke, slug: string, values: string[], api: string | undefined) {
  let identifiers: string[] | undefined;
  const out: { api: string; name: string }[] = [];
  for (const value of values) {
    const hash = value.indexOf('#');
    if (hash > 0) out.push({ api: value.slice(0, hash), name: value.slice(hash + 1) });
    else if (api) out.push({ api, name: value });
    else {
      identifiers ??= (await allItems<{ identifier: string }>(invoke, 'listApis', { slug })).map((a) => a.identifier).sort((a, b) => b.length - a.length);
      const identifier = identifiers.find((id) => value.startsWith(`${id}:`));
      if (!identifier) throw new UsageError(`--permission ${value}: name an API of the tenant as <api identifier>#<permission>, or give --api`);
      out.push({ api: identifier, name: value.slice(identifier.length + 1) });
    }
  }
  return out;
}

const roleFlags: Options = { ...tenantFlag, name: { type: 'string' }, description: { type: 'string' }, permission: { type: 'string', multiple: true }, api: { type: 'string' } };

function subjectOf(v: Record<string, unknown>) {
  const user = text(v.user);
  const client = text(v.client);
  if (Boolean(user) === Boolean(client)) throw new UsageError('give either --user <id> or --client <client_id>');
  return user ? { kind: 'User', id: user } : { kind: 'Client', id: client! };
}

export const rbacCommands: Record<string, ManagementCommand> = {
  'role list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ...page });
    const slug = need(text(v.tenant), '--tenant');
    return (invoke) => invoke('listRoles', { params: { slug }, query: { limit: text(v.limit), cursor: text(v.cursor) } });
  },
  'role get'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, name: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), name: need(text(v.name), '--name') };
    return (invoke) => invoke('getRole', { params });
  },
  'role create'(args) {
    const { values: v } = parseFlags(args, roleFlags);
    const slug = need(text(v.tenant), '--tenant');
    const name = need(text(v.name), '--name');
    return async (invoke) => invoke('createRole', {
      params: { slug },
      body: { name, ...(v.description !== undefined ? { description: text(v.description) } : {}), permissions: await permissions(invoke, slug, list(v.permission) ?? [], text(v.api)) },
    });
  },
  'role update'(args) {
    const { values: v } = parseFlags(args, { ...roleFlags, 'no-permissions': { type: 'boolean' } });
    const params = { slug: need(text(v.tenant), '--tenant'), name: need(text(v.name), '--name') };
    if (v.description === undefined && !v.permission && !v['no-permissions']) throw new UsageError('nothing to change: give --description, --permission … or --no-permissions');
    return async (invoke) => invoke('updateRole', {
      params,
      body: {
        ...(v.description !== undefined ? { description: text(v.description) } : {}),
        ...(v.permission || v['no-permissions'] ? { permissions: await permissions(invoke, params.slug, list(v.permission) ?? [], text(v.api)) } : {}),
      },
    });
  },
  'role delete'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, name: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), name: need(text(v.name), '--name') };
    return async (invoke) => {
      await invoke('deleteRole', { params });
      return { deleted: `role ${params.name}` };
    };
  },
  'role assign'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, user: { type: 'string' }, client: { type: 'string' }, role: { type: 'string', multiple: true } });
    const slug = need(text(v.tenant), '--tenant');
    const subject = subjectOf(v);
    const roles = need(list(v.role), '--role');
    return (invoke) => invoke(`assign${subject.kind}Roles`, { params: { slug, id: subject.id }, body: { roles } });
  },
  'role unassign'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, user: { type: 'string' }, client: { type: 'string' }, role: { type: 'string', multiple: true } });
    const slug = need(text(v.tenant), '--tenant');
    const subject = subjectOf(v);
    const roles = need(list(v.role), '--role');
    return async (invoke) => {
      let left: unknown;
      for (const role of roles) left = await invoke(`unassign${subject.kind}Role`, { params: { slug, id: subject.id, role } });
      return left;
    };
  },

  'api list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ...page });
    const slug = need(text(v.tenant), '--tenant');
    return (invoke) => invoke('listApis', { params: { slug }, query: { limit: text(v.limit), cursor: text(v.cursor) } });
  },
  'api get'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    return (invoke) => invoke('getApi', { params });
  },
  'api create'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, identifier: { type: 'string' }, name: { type: 'string' }, permission: { type: 'string', multiple: true } });
    const slug = need(text(v.tenant), '--tenant');
    const body = { identifier: need(text(v.identifier), '--identifier'), name: need(text(v.name), '--name'), permissions: (list(v.permission) ?? []).map((name) => ({ name })) };
    return (invoke) => invoke('createApi', { params: { slug }, body });
  },
  'api update'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' }, name: { type: 'string' }, permission: { type: 'string', multiple: true } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    if (v.name === undefined && !v.permission) throw new UsageError('nothing to change: give --name or --permission …');
    const body = { ...(v.name !== undefined ? { name: text(v.name) } : {}), ...(v.permission ? { permissions: list(v.permission)!.map((name) => ({ name })) } : {}) };
    return (invoke) => invoke('updateApi', { params, body });
  },
  'api delete'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') };
    return async (invoke) => {
      await invoke('deleteApi', { params });
      return { deleted: 'api' };
    };
  },

  'audit list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, ...page, type: { type: 'string' }, subject: { type: 'string' }, actor: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } });
    const slug = need(text(v.tenant), '--tenant');
    const query = Object.fromEntries(['limit', 'cursor', 'type', 'subject', 'actor', 'from', 'to'].map((k) => [k, text(v[k])]).filter(([, value]) => value !== undefined));
    return (invoke) => invoke('listAudit', { params: { slug }, query });
  },
};
