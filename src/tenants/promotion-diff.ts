// What promoting one environment's configuration to another changes (issue #19 §5), computed without side effects.
// Promoted: sign-in methods and policies (signIn, mfa, ttl, registration, grants, oidc, rbac), branding and texts,
// APIs with their permissions, roles with theirs, and of each client (matched by name) its grant types, response
// types, scopes and roles. Never promoted: users, secrets and keys, the sections holding credentials (messaging,
// connections), what belongs to one environment (protocol with its pairwise salt, headless origins, the default
// resource, redirect URIs, client ids) and the sandbox-only settings (sandbox, debugCode, testRecipients).

export const promotedSections = ['signIn', 'mfa', 'ttl', 'registration', 'grants', 'oidc', 'rbac', 'branding', 'texts'] as const;
export const sandboxOnlySignIn = ['sandbox', 'debugCode', 'testRecipients'] as const;
export const promotedClientFields = ['grant_types', 'response_types', 'scope', 'api_scope'] as const;

type Json = Record<string, unknown>;

export interface ApiConfig { identifier: string; name: string; permissions: { name: string; description: string }[] }
export interface RoleConfig { name: string; description: string; permissions: { api: string; name: string }[] }
export interface ClientConfig { clientId: string; name: string; metadata: Json; roles: string[] }

export interface EnvironmentConfig {
  /** the issuer's own default API (`{issuer}/api`): its permissions are promoted onto the other environment's */
  defaultApi: string;
  /** the stored settings (what was set, defaults absent) and the effective ones */
  stored: Json;
  effective: Json;
  apis: ApiConfig[];
  roles: RoleConfig[];
  clients: ClientConfig[];
}

export interface Change<T = unknown> { name: string; from: T | null; to: T | null }

export interface PromotionDiff {
  settings: { path: string; from: unknown; to: unknown }[];
  apis: Change<ApiConfig>[];
  roles: Change<RoleConfig>[];
  /** clients of the source that the target has (by name) with other promoted fields or roles */
  clients: Change<Json>[];
  /** clients only the source has: a client of the target needs its own id and secret (`tessera client create`) */
  clientsNotPromoted: string[];
}

const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? value as Json : {});
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sorted = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));

/** the leaves of `value` under `prefix`, arrays as one leaf */
function leaves(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, prefix ? `${prefix}.${key}` : key, out);
  } else out.set(prefix, value);
  return out;
}

/** the settings that promotion compares: the promoted sections without the sandbox-only fields */
export function promotedSettings(settings: Json): Json {
  const out: Json = {};
  for (const section of promotedSections) out[section] = structuredClone(settings[section] ?? {});
  const signIn = asObject(out.signIn);
  for (const key of sandboxOnlySignIn) delete signIn[key];
  return out;
}

/** an API or role of `from` as it would read in `to`: the source's default API becomes the target's */
function mapApi(identifier: string, from: EnvironmentConfig, to: EnvironmentConfig): string {
  return identifier === from.defaultApi ? to.defaultApi : identifier;
}

function diffByName<T extends { name: string }>(source: T[], target: T[]): Change<T>[] {
  const changes: Change<T>[] = [];
  for (const item of source) {
    const other = target.find((candidate) => candidate.name === item.name);
    if (!other) changes.push({ name: item.name, from: null, to: item });
    else if (!same(item, other)) changes.push({ name: item.name, from: other, to: item });
  }
  for (const other of target) if (!source.some((item) => item.name === other.name)) changes.push({ name: other.name, from: other, to: null });
  return changes;
}

const normalApi = (api: ApiConfig, identifier: string) => ({ name: identifier, identifier, label: api.name, permissions: sorted(api.permissions, (p) => p.name) });
const normalRole = (role: RoleConfig, map: (api: string) => string): RoleConfig =>
  ({ name: role.name, description: role.description, permissions: sorted(role.permissions.map((p) => ({ api: map(p.api), name: p.name })), (p) => `${p.api}#${p.name}`) });
const clientView = (client: ClientConfig): Json =>
  ({ ...Object.fromEntries(promotedClientFields.map((field) => [field, client.metadata[field] ?? null])), roles: [...client.roles].sort() });

/** what promoting `from` onto `to` changes in `to` */
export function diffEnvironments(from: EnvironmentConfig, to: EnvironmentConfig): PromotionDiff {
  const source = leaves(promotedSettings(from.effective), '', new Map());
  const target = leaves(promotedSettings(to.effective), '', new Map());
  const settings: PromotionDiff['settings'] = [];
  for (const path of new Set([...source.keys(), ...target.keys()])) {
    if (!same(source.get(path), target.get(path))) settings.push({ path, from: target.get(path) ?? null, to: source.get(path) ?? null });
  }
  const ownApis = (env: EnvironmentConfig, map: (id: string) => string) => env.apis.map((api) => normalApi(api, map(api.identifier)));
  const apis = diffByName(ownApis(from, (id) => mapApi(id, from, to)), ownApis(to, (id) => id))
    .map((change) => ({ name: change.name, from: change.from && { identifier: change.from.identifier, name: change.from.label, permissions: change.from.permissions }, to: change.to && { identifier: change.to.identifier, name: change.to.label, permissions: change.to.permissions } }));
  const roles = diffByName(from.roles.map((role) => normalRole(role, (api) => mapApi(api, from, to))), to.roles.map((role) => normalRole(role, (api) => api)));
  const clients: Change<Json>[] = [];
  const clientsNotPromoted: string[] = [];
  for (const client of from.clients) {
    const other = to.clients.find((candidate) => candidate.name === client.name);
    if (!other) clientsNotPromoted.push(client.name);
    else if (!same(clientView(client), clientView(other))) clients.push({ name: client.name, from: clientView(other), to: clientView(client) });
  }
  return { settings, apis, roles, clients, clientsNotPromoted };
}

/** the target's stored settings with the promoted sections of the source's, keeping the target's sandbox-only fields */
export function promotedStoredSettings(from: Json, to: Json): Json {
  const next: Json = { ...structuredClone(to), ...promotedSettings(from) };
  const targetSignIn = asObject(to.signIn);
  const signIn = asObject(next.signIn);
  for (const key of sandboxOnlySignIn) if (key in targetSignIn) signIn[key] = structuredClone(targetSignIn[key]);
  next.signIn = signIn;
  return next;
}

export const isEmptyDiff = (diff: PromotionDiff) => !diff.settings.length && !diff.apis.length && !diff.roles.length && !diff.clients.length;
