// A tenant's settings, kept as JSON on its row and read through this one parser so old rows get today's defaults.
import { z } from 'zod';
import { parseBranding, type Branding } from './branding.js';
import { signInSettingsSchema, type SignInSettings } from './sign-in-settings.js';
import { messagingSettingsSchema, type MessagingSettings } from './messaging-settings.js';
import { connectionsSchema, type ConnectionsSettings } from './connection-settings.js';
import { mfaSettingsSchema, type MfaSettings } from './mfa-settings.js';
import { rbacSettingsSchema, type RbacSettings } from '../rbac/rbac-settings.js';
import { relyingPartySettingsSchema, type RelyingPartySettings } from './relying-party-settings.js';
import { protocolSettingsSchema, type ProtocolSettings } from './protocol-settings.js';
import { headlessSettingsSchema, type HeadlessSettings } from './headless-settings.js';
import { registrationSettingsSchema, type RegistrationSettings } from './registration-settings.js';
import { grantSettingsSchema, type GrantSettings } from './grant-settings.js';
import { textSettingsSchema, type TextSettings } from './text-settings.js';

export const signingAlgs = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof signingAlgs)[number];

export interface TokenLifetimes {
  /** seconds */
  readonly accessToken: number;
  readonly idToken: number;
  readonly refreshToken: number;
  readonly authorizationCode: number;
  readonly session: number;
  readonly interaction: number;
}

export interface TenantSettings {
  readonly branding: Branding;
  readonly idTokenSigningAlg: SigningAlg;
  readonly accessTokenSigningAlg: SigningAlg;
  /** audience of access tokens when a client names no resource (RFC 8707); JWT per RFC 9068 */
  readonly defaultResource: string | null;
  readonly ttl: TokenLifetimes;
  readonly signIn: SignInSettings;
  readonly messaging: MessagingSettings;
  /** upstream identity providers, by connection id */
  readonly connections: ConnectionsSettings;
  /** second factors and passkeys */
  readonly mfa: MfaSettings;
  /** claim names of roles and permissions */
  readonly rbac: RbacSettings;
  /** id_token claims and offline access, for relying-party libraries */
  readonly oidc: RelyingPartySettings;
  /** optional protocol profiles: PAR, DPoP, JAR, JARM, pairwise, mTLS, response types, FAPI 2.0 */
  readonly protocol: ProtocolSettings;
  /** the JSON sign-in APIs: the REST auth API under the issuer, its browser origins */
  readonly headless: HeadlessSettings;
  /** dynamic client registration and its policy */
  readonly registration: RegistrationSettings;
  /** device flow, token exchange, protected-resource metadata */
  readonly grants: GrantSettings;
  /** the default language of its pages and its own wording of any text */
  readonly texts: TextSettings;
}

const day = 86_400;
// Every field falls back to its default when missing or invalid: settings never stop a tenant from loading.
const seconds = (fallback: number, max: number) => z.number().int().min(1).max(max).catch(fallback);

const ttlSchema = z.object({
  accessToken: seconds(3600, day),
  idToken: seconds(3600, day),
  refreshToken: seconds(14 * day, 365 * day),
  authorizationCode: seconds(60, 600),
  session: seconds(14 * day, 365 * day),
  interaction: seconds(3600, day),
});

const settingsSchema = z.object({
  idTokenSigningAlg: z.enum(signingAlgs).catch('RS256'),
  accessTokenSigningAlg: z.enum(signingAlgs).catch('RS256'),
  // RFC 8707 §2: an absolute URI without a fragment
  defaultResource: z.url().refine((uri) => !uri.includes('#')).nullable().catch(null),
});

// An array is an object too, and z.object() would throw on it.
const asObject = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;

/** a section written through validated updates: stored values are valid, so a failure means a damaged row */
function section<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(asObject(value));
  return parsed.success ? parsed.data : schema.parse({});
}

export function parseTenantSettings(input: unknown): TenantSettings {
  const raw = asObject(input);
  return {
    ...settingsSchema.parse(raw),
    branding: parseBranding(raw.branding),
    ttl: ttlSchema.parse(asObject(raw.ttl)),
    signIn: section(signInSettingsSchema, raw.signIn),
    messaging: section(messagingSettingsSchema, raw.messaging),
    connections: connectionsOf(raw.connections),
    mfa: section(mfaSettingsSchema, raw.mfa),
    rbac: section(rbacSettingsSchema, raw.rbac),
    oidc: section(relyingPartySettingsSchema, raw.oidc),
    protocol: section(protocolSettingsSchema, raw.protocol),
    headless: section(headlessSettingsSchema, raw.headless),
    registration: section(registrationSettingsSchema, raw.registration),
    grants: section(grantSettingsSchema, raw.grants),
    texts: section(textSettingsSchema, raw.texts) as TextSettings,
  };
}

/** each connection parsed on its own: one damaged entry is dropped, not every connection of the tenant */
function connectionsOf(value: unknown): ConnectionsSettings {
  const out: ConnectionsSettings = {};
  for (const [id, entry] of Object.entries(asObject(value))) {
    const parsed = connectionsSchema.safeParse({ [id]: entry });
    if (parsed.success) Object.assign(out, parsed.data);
  }
  return out;
}

export { ttlSchema, asObject };

/** The longest any token signed by a tenant key stays valid: how long a retired key must stay published. */
export function longestSignedTokenLifetime(settings: TenantSettings): number {
  return Math.max(settings.ttl.accessToken, settings.ttl.idToken);
}
