// Changing a tenant's settings: a JSON merge patch (RFC 7396) over the stored settings, credentials sealed as
// they come in, the result validated section by section so a bad value is refused with a clear message instead
// of being replaced by a default. Reading back (`redactSettings`) never shows a credential.
import { randomBytes } from 'node:crypto';
import { normaliseEmail } from '../validation/email-address.js';
import type { Sealer } from '../crypto/sealing.js';
import { normalisePhone } from '../validation/phone-number.js';
import { AppError } from '../errors/app-error.js';
import { assertCleanInput } from '../validation/input-rules.js';
import { applyMergePatch } from '../validation/merge-patch.js';
import { parseBranding } from './branding.js';
import { messagingSettingsSchema } from './messaging-settings.js';
import { destinationChanges, destinationUrls, secretPaths, type DestinationChange } from './secret-bindings.js';
import { outboundUrlProblem, type OutboundPolicy } from '../net/outbound-guard.js';
import { signInSettingsSchema } from './sign-in-settings.js';
import { connectionsSchema } from './connection-settings.js';
import { mfaSettingsSchema } from './mfa-settings.js';
import { rbacSettingsSchema } from '../rbac/rbac-settings.js';
import { textSettingsSchema } from './text-settings.js';
import { registrationSettingsSchema } from './registration-settings.js';
import { grantSettingsSchema } from './grant-settings.js';
import { relyingPartySettingsSchema } from './relying-party-settings.js';
import { protocolProblems, protocolSettingsSchema } from './protocol-settings.js';
import { headlessSettingsSchema } from './headless-settings.js';
import { asObject, parseTenantSettings, signingAlgs, ttlSchema } from './tenant-settings.js';
import { liveEnvironment, splitSlug } from './environment-names.js';

type Json = Record<string, unknown>;

const topLevel = new Set(['branding', 'idTokenSigningAlg', 'accessTokenSigningAlg', 'defaultResource', 'ttl', 'signIn', 'messaging', 'connections', 'mfa', 'rbac', 'oidc', 'protocol', 'headless', 'registration', 'grants', 'texts']);
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);


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
 * @returns the new stored settings, and the credentials entered again with a new destination
 * @throws AppError('tenant.invalid_settings') listing every problem
 * @throws AppError('tenant.credential_required') when a stored credential would go to a new destination without
 *   being entered again (details: credentials, destinations)
 */
export function applySettingsPatch(current: unknown, patch: unknown, options: { tenantId: string; sealer: Sealer; production: boolean; outboundPolicy: OutboundPolicy; mtlsHeaderConfigured?: boolean; /** the tenant's environment (issue #19); live when absent */ environment?: string; /** the record's slug, named in messages */ slug?: string }): { settings: Json; rebound: DestinationChange[] } {
  if (!isObject(patch)) throw new AppError('tenant.invalid_settings', 'The settings patch must be a JSON object.');
  // before structuredClone and the merge, both recursive
  assertCleanInput(patch, 'settings', 'tenant.invalid_settings');
  const unknown = Object.keys(patch).filter((key) => !topLevel.has(key));
  if (unknown.length) throw new AppError('tenant.invalid_settings', `Unknown settings: ${unknown.join(', ')}.`);

  const sealedPatch = structuredClone(patch);
  for (const pattern of secretPaths) {
    for (const slot of slots(sealedPatch, pattern)) {
      const value = slot.parent[slot.key];
      if (typeof value === 'string') slot.parent[slot.key] = options.sealer.seal(value, secretContext(options.tenantId, slot.path));
    }
  }
  const merged = applyMergePatch(asObject(current), sealedPatch) as Json;
  // The grace period of a required policy counts from the moment it became required.
  const mfaBefore = asObject(asObject(current).mfa);
  const mfaAfter = asObject(merged.mfa);
  if (mfaAfter.policy === 'required' && mfaBefore.policy !== 'required' && !asObject(patch.mfa).requiredSince) {
    merged.mfa = { ...mfaAfter, requiredSince: new Date().toISOString() };
  }

  // Pairwise identifiers hash the sector and account with a salt of the tenant's own (OIDC Core §8.1), made once:
  // changing it would change every pairwise `sub` the tenant has issued.
  const protocolPatch = asObject(patch.protocol);
  if ('salt' in asObject(protocolPatch.pairwise)) throw new AppError('tenant.invalid_settings', 'protocol.pairwise.salt: generated by Tessera, never set.');
  const pairwise = asObject(asObject(merged.protocol).pairwise);
  if (pairwise.enabled === true && typeof pairwise.salt !== 'string') {
    merged.protocol = { ...asObject(merged.protocol), pairwise: { ...pairwise, salt: randomBytes(32).toString('base64url') } };
  }

  const problems: string[] = [];
  for (const [section, schema] of [['signIn', signInSettingsSchema], ['messaging', messagingSettingsSchema], ['connections', connectionsSchema], ['mfa', mfaSettingsSchema], ['rbac', rbacSettingsSchema], ['oidc', relyingPartySettingsSchema], ['protocol', protocolSettingsSchema], ['headless', headlessSettingsSchema], ['registration', registrationSettingsSchema], ['grants', grantSettingsSchema], ['texts', textSettingsSchema]] as const) {
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
  // outside production http://localhost serves a logo under development; in production only https (issue #14)
  else if (options.production && parsedBranding.logoUrl !== null && !parsedBranding.logoUrl.startsWith('https:')) problems.push('branding.logoUrl: use an https URL');

  const signIn = asObject(merged.signIn);
  // issue #19: sandbox behaviour (tenants/sandbox-behaviour.ts) is for an environment other than live, outside
  // production: the settings that ask for it are refused anywhere else, so none is stored where it would not hold
  const sandboxFields = [
    signIn.sandbox === true ? 'signIn.sandbox' : null,
    Object.keys(asObject(signIn.testRecipients)).length ? 'signIn.testRecipients' : null,
    (signIn.debugCode ?? null) !== null ? 'signIn.debugCode' : null,
  ].filter((field) => field !== null);
  if (sandboxFields.length && options.production) {
    problems.push(`${sandboxFields.join(', ')}: sandbox settings are not allowed in production (NODE_ENV=production or a hosting platform's marker)`);
  } else if (sandboxFields.length && (options.environment ?? liveEnvironment) === liveEnvironment) {
    const tenant = options.slug ? splitSlug(options.slug).tenant : '<tenant>';
    problems.push(`${sandboxFields.join(', ')}: sandbox settings belong to a sandbox environment, never live: create one with \`tessera env create --tenant ${tenant} --name sandbox\` and set them there (--env sandbox, or /tenants/${tenant}~sandbox/settings)`);
  } else if (sandboxFields.some((field) => field !== 'signIn.sandbox') && signIn.sandbox !== true) {
    problems.push(`${sandboxFields.join(', ')}: needs signIn.sandbox`);
  }
  // 10^4 codes: only while few guesses are allowed per code (at most 5 in 10,000)
  const code = asObject(signIn.code);
  if (code.length === 4 && typeof code.maxAttempts === 'number' && code.maxAttempts > 5) {
    problems.push('signIn.code.length: 4 digits only while signIn.code.maxAttempts is 5 or less (a 4-digit code must not allow more than 5 guesses in 10,000)');
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
  // Every URL a credential is sent to (vendors, upstream IdPs) and the tenant's SMTP server: under the
  // public-https policy (always in production) https and no literal private address or localhost name. Names are
  // resolved and checked again at connect time (net/outbound-guard.ts).
  if (!problems.length) {
    for (const [path, url] of destinationUrls(parseTenantSettings(merged))) {
      const problem = outboundUrlProblem(options.outboundPolicy, url);
      if (problem) problems.push(`${path}: ${problem} (OUTBOUND_POLICY=${options.outboundPolicy})`);
    }
  }
  const smtpUrl = asObject(asObject(asObject(patch.messaging).email)).smtpUrl;
  if (typeof smtpUrl === 'string') {
    const problem = outboundUrlProblem(options.outboundPolicy, smtpUrl, ['smtp:', 'smtps:']);
    if (problem) problems.push(`messaging.email.smtpUrl: ${problem === 'not a URL' ? 'use smtp://user:pass@host:port or smtps://…' : `${problem} (OUTBOUND_POLICY=${options.outboundPolicy})`}`);
  }
  const protocol = protocolSettingsSchema.safeParse(merged.protocol ?? {});
  if (protocol.success) {
    problems.push(...protocolProblems(protocol.data, {
      mtlsHeaderConfigured: options.mtlsHeaderConfigured ?? false,
      idTokenSigningAlg: String(merged.idTokenSigningAlg ?? 'RS256'),
      accessTokenSigningAlg: String(merged.accessTokenSigningAlg ?? 'RS256'),
    }));
  }
  if (problems.length) throw new AppError('tenant.invalid_settings', problems.join('; '));

  const changes = destinationChanges(parseTenantSettings(current), parseTenantSettings(merged), patch);
  const refused = changes.filter((change) => !change.reentered);
  if (refused.length) {
    const what = refused.map((c) => `${c.destinations.join(', ')} changes where ${c.credential} is sent`).join('; ');
    throw new AppError('tenant.credential_required', `${what}: enter the credential again in the same change, or remove it.`, {
      credentials: refused.map((c) => c.credential), destinations: refused.flatMap((c) => c.destinations),
    });
  }
  return { settings: merged, rebound: changes };
}

/** the stored settings for display: every credential replaced by "(set)" */
export function redactSettings(stored: unknown): Json {
  const copy = structuredClone(asObject(stored));
  for (const pattern of [...secretPaths, 'protocol.pairwise.salt']) {
    for (const slot of slots(copy, pattern)) if (slot.parent[slot.key] != null) slot.parent[slot.key] = '(set)';
  }
  return copy;
}
