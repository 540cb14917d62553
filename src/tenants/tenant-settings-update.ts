// Changing a tenant's settings: a JSON merge patch (RFC 7396) over the stored settings, credentials sealed as
// they come in, the result validated section by section so a bad value is refused with a clear message instead
// of being replaced by a default. Reading back (`redactSettings`) never shows a credential.
import { normaliseEmail } from '../accounts/users.service.js';
import type { Sealer } from '../crypto/sealing.js';
import { normalisePhone } from '../notifications/phone-number.js';
import { AppError } from '../errors/app-error.js';
import { parseBranding } from './branding.js';
import { messagingSettingsSchema, secretPaths } from './messaging-settings.js';
import { signInSettingsSchema } from './sign-in-settings.js';
import { connectionsSchema, connectionUrls } from './connection-settings.js';
import { mfaSettingsSchema } from './mfa-settings.js';
import { rbacSettingsSchema } from '../rbac/rbac-settings.js';
import { textSettingsSchema } from './text-settings.js';
import { asObject, signingAlgs, ttlSchema } from './tenant-settings.js';

type Json = Record<string, unknown>;

const topLevel = new Set(['branding', 'idTokenSigningAlg', 'accessTokenSigningAlg', 'defaultResource', 'ttl', 'signIn', 'messaging', 'connections', 'mfa', 'rbac', 'texts']);
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** every slot a path names, `*` matching each key of an object; with the concrete path of each */
function slots(root: Json, path: string): Array<{ parent: Json; key: string; path: string }> {
  const found: Array<{ parent: Json; key: string; path: string }> = [];
  const walk = (node: unknown, rest: string[], trail: string[]) => {
    if (!isObject(node)) return;
    const [head, ...tail] = rest as [string, ...string[]];
    const keys = head === '*' ? Object.keys(node) : [head];
    for (const key of keys) {
      if (tail.length === 0) found.push({ parent: node, key, path: [...trail, key].join('.') });
      else walk(node[key], tail, [...trail, key]);
    }
  };
  walk(root, path.split('.'), []);
  return found;
}

export const secretContext = (tenantId: string, path: string) => `tenant-secret:${tenantId}:${path}`;

function issues(section: string, error: { issues: { path: PropertyKey[]; message: string }[] }): string[] {
  return error.issues.map((issue) => `${[section, ...issue.path.map(String)].join('.')}: ${issue.message}`);
}

/**
 * @returns the new stored settings
 * @throws AppError('tenant.invalid_settings') listing every problem
 */
export function applySettingsPatch(current: unknown, patch: unknown, options: { tenantId: string; sealer: Sealer; production: boolean }): Json {
  if (!isObject(patch)) throw new AppError('tenant.invalid_settings', 'The settings patch must be a JSON object.');
  const unknown = Object.keys(patch).filter((key) => !topLevel.has(key));
  if (unknown.length) throw new AppError('tenant.invalid_settings', `Unknown settings: ${unknown.join(', ')}.`);

  const sealedPatch = structuredClone(patch);
  for (const pattern of secretPaths) {
    for (const slot of slots(sealedPatch, pattern)) {
      const value = slot.parent[slot.key];
      if (typeof value === 'string') slot.parent[slot.key] = options.sealer.seal(value, secretContext(options.tenantId, slot.path));
    }
  }
  const merged = mergePatch(asObject(current), sealedPatch) as Json;
  // The grace period of a required policy counts from the moment it became required.
  const mfaBefore = asObject(asObject(current).mfa);
  const mfaAfter = asObject(merged.mfa);
  if (mfaAfter.policy === 'required' && mfaBefore.policy !== 'required' && !asObject(patch.mfa).requiredSince) {
    merged.mfa = { ...mfaAfter, requiredSince: new Date().toISOString() };
  }

  const problems: string[] = [];
  for (const [section, schema] of [['signIn', signInSettingsSchema], ['messaging', messagingSettingsSchema], ['connections', connectionsSchema], ['mfa', mfaSettingsSchema], ['rbac', rbacSettingsSchema], ['texts', textSettingsSchema]] as const) {
    const result = schema.safeParse(merged[section] ?? {});
    if (!result.success) problems.push(...issues(section, result.error));
  }
  const ttl = ttlSchema.parse(asObject(merged.ttl));
  for (const [key, value] of Object.entries(asObject(merged.ttl))) {
    if ((ttl as Json)[key] !== value) problems.push(`ttl.${key}: out of range or not a whole number of seconds`);
  }
  for (const key of ['idTokenSigningAlg', 'accessTokenSigningAlg'] as const) {
    if (merged[key] !== undefined && !(signingAlgs as readonly unknown[]).includes(merged[key])) problems.push(`${key}: use ${signingAlgs.join(', ')}`);
  }
  const branding = asObject(merged.branding);
  const parsedBranding = parseBranding(branding);
  if (branding.primaryColor !== undefined && parsedBranding.primaryColor !== String(branding.primaryColor).toLowerCase()) problems.push('branding.primaryColor: use #rrggbb');
  if (branding.logoUrl !== undefined && branding.logoUrl !== null && parsedBranding.logoUrl === null) problems.push('branding.logoUrl: use an https URL');

  const signIn = asObject(merged.signIn);
  if (options.production && (signIn.sandbox === true || Object.keys(asObject(signIn.testRecipients)).length)) {
    problems.push('signIn: sandbox tenants and test recipients are not allowed in production');
  }
  if (Object.keys(asObject(signIn.testRecipients)).length && signIn.sandbox !== true) {
    problems.push('signIn.testRecipients: only a sandbox tenant may have test recipients (set signIn.sandbox)');
  }
  // A fixed code is looked up by the identifier as the sign-in pages normalise it: any other key ("+1 555…", a
  // national number, a number libphonenumber-js calls invalid, upper case) was stored and silently never matched.
  for (const key of Object.keys(asObject(signIn.testRecipients))) {
    if (key.includes('@') ? normaliseEmail(key) !== key : normalisePhone(key) !== key) {
      problems.push(`signIn.testRecipients: "${key}" is neither an E.164 number (e.g. +447911123456) nor a lower-case email, so no sign-in could use it`);
    }
  }
  // A required policy walks users without a factor through setting up an authenticator app at sign-in.
  const mfa = asObject(merged.mfa);
  if (mfa.policy === 'required' && asObject(mfa.factors).totp === false) {
    problems.push('mfa.factors.totp: a required policy enrols users with an authenticator app at sign-in; keep it allowed');
  }
  // Upstream endpoints receive client secrets and return identities: in production only over TLS.
  const connections = connectionsSchema.safeParse(merged.connections ?? {});
  if (options.production && connections.success) {
    for (const [id, connection] of Object.entries(connections.data)) {
      if (connectionUrls(connection).some((u) => !u.startsWith('https://'))) problems.push(`connections.${id}: upstream URLs must be https in production`);
    }
  }
  if (problems.length) throw new AppError('tenant.invalid_settings', problems.join('; '));
  return merged;
}

/** the stored settings for display: every credential replaced by "(set)" */
export function redactSettings(stored: unknown): Json {
  const copy = structuredClone(asObject(stored));
  for (const pattern of secretPaths) {
    for (const slot of slots(copy, pattern)) if (slot.parent[slot.key] != null) slot.parent[slot.key] = '(set)';
  }
  return copy;
}
