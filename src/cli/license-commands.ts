// The CLI's license commands (issue #20), Management API operations through `Invoke`:
//   tessera license product create --tenant acme --name Desktop --max-devices 5 [--days 365]   → {product_id, policy_id}
//   tessera license issue --tenant acme --product <id> [--user <id>] [--count N]                → {key, license_id} or a list
import type { Invoke } from './invoke.js';
import { list, need, parseFlags, text, UsageError, type Options, type Values } from './cli-args.js';
import type { ManagementCommand } from './management-commands.js';

const tenantFlag: Options = { tenant: { type: 'string' } };
const policyFlags: Options = {
  'max-devices': { type: 'string' }, days: { type: 'string' }, floating: { type: 'boolean' }, lease: { type: 'string' },
  entitlement: { type: 'string', multiple: true }, heartbeat: { type: 'string' }, grace: { type: 'string' }, 'churn-limit': { type: 'string' }, 'policy-name': { type: 'string' },
};

function whole(value: unknown, flag: string): number | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`${flag} must be a whole number`);
  return Number(raw);
}

function policyOf(v: Values) {
  const optional = { days: whole(v.days, '--days'), lease_seconds: whole(v.lease, '--lease'), heartbeat_seconds: whole(v.heartbeat, '--heartbeat'), offline_grace_seconds: whole(v.grace, '--grace'), churn_limit: whole(v['churn-limit'], '--churn-limit'), name: text(v['policy-name']) };
  return {
    max_devices: need(whole(v['max-devices'], '--max-devices'), '--max-devices'),
    ...(v.floating ? { floating: true } : {}),
    ...(v.entitlement ? { entitlements: list(v.entitlement) } : {}),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/** `license product create|list` and `license policy create`: the first argument names the action */
function subcommand(group: string, actions: Record<string, ManagementCommand>): ManagementCommand {
  return ([action, ...args]) => {
    const run = action !== undefined && Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!run) throw new UsageError(`license ${group} takes ${Object.keys(actions).join(' or ')}`);
    return run(args);
  };
}

const oneLicense = (v: Values) => ({ slug: need(text(v.tenant), '--tenant'), id: need(text(v.id), '--id') });

export const licenseCommands: Record<string, ManagementCommand> = {
  'license product': subcommand('product', {
    create(args) {
      const { values: v } = parseFlags(args, { ...tenantFlag, name: { type: 'string' }, ...policyFlags });
      const params = { slug: need(text(v.tenant), '--tenant') };
      const body = { name: need(text(v.name), '--name'), policy: policyOf(v) };
      return async (invoke) => {
        const created = (await invoke('createLicenseProduct', { params, body })) as { product_id: string; policy_id: string };
        return { product_id: created.product_id, policy_id: created.policy_id };
      };
    },
    list(args) {
      const { values: v } = parseFlags(args, { ...tenantFlag, limit: { type: 'string' }, cursor: { type: 'string' } });
      return (invoke) => invoke('listLicenseProducts', { params: { slug: need(text(v.tenant), '--tenant') }, query: { limit: text(v.limit), cursor: text(v.cursor) } });
    },
  }),
  'license policy': subcommand('policy', {
    create(args) {
      const { values: v } = parseFlags(args, { ...tenantFlag, product: { type: 'string' }, ...policyFlags });
      const params = { slug: need(text(v.tenant), '--tenant'), id: need(text(v.product), '--product') };
      return (invoke) => invoke('createLicensePolicy', { params, body: policyOf(v) });
    },
  }),
  'license issue'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, product: { type: 'string' }, policy: { type: 'string' }, user: { type: 'string' }, count: { type: 'string' } });
    const params = { slug: need(text(v.tenant), '--tenant') };
    const count = whole(v.count, '--count');
    const body = { product_id: need(text(v.product), '--product'), ...(v.policy ? { policy_id: text(v.policy) } : {}), ...(v.user ? { user_id: text(v.user) } : {}), ...(count !== undefined ? { count } : {}) };
    return async (invoke: Invoke) => {
      const { licenses } = (await invoke('issueLicenses', { params, body })) as { licenses: { key: string; license_id: string }[] };
      const shown = licenses.map((l) => ({ key: l.key, license_id: l.license_id }));
      return count === undefined ? shown[0] : shown;
    };
  },
  'license list'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, product: { type: 'string' }, user: { type: 'string' }, status: { type: 'string' }, 'key-hint': { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } });
    const query = Object.fromEntries(Object.entries({ product_id: v.product, user_id: v.user, status: v.status, key_hint: v['key-hint'], limit: v.limit, cursor: v.cursor }).filter(([, value]) => value !== undefined));
    return (invoke) => invoke('searchLicenses', { params: { slug: need(text(v.tenant), '--tenant') }, query });
  },
  'license get'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' } });
    return (invoke) => invoke('getLicense', { params: oneLicense(v) });
  },
  'license revoke'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' }, activation: { type: 'string' } });
    const params = oneLicense(v);
    const activation = text(v.activation);
    return (invoke) => (activation ? invoke('revokeLicenseActivation', { params: { ...params, activation } }) : invoke('revokeLicense', { params }));
  },
  'license extend'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' }, days: { type: 'string' }, 'expires-at': { type: 'string' }, perpetual: { type: 'boolean' } });
    const body = { ...(v.days !== undefined ? { days: whole(v.days, '--days') } : {}), ...(v['expires-at'] !== undefined ? { expires_at: text(v['expires-at']) } : {}), ...(v.perpetual ? { perpetual: true } : {}) };
    if (Object.keys(body).length !== 1) throw new UsageError('give one of --days <n>, --expires-at <ISO time> or --perpetual');
    return (invoke) => invoke('extendLicense', { params: oneLicense(v), body });
  },
  'license transfer'(args) {
    const { values: v } = parseFlags(args, { ...tenantFlag, id: { type: 'string' }, user: { type: 'string' }, unassign: { type: 'boolean' } });
    if (Boolean(v.user) === Boolean(v.unassign)) throw new UsageError('give either --user <id> or --unassign');
    return (invoke) => invoke('transferLicense', { params: oneLicense(v), body: { user_id: v.unassign ? null : text(v.user) } });
  },
};
