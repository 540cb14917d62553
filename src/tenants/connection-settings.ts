// Upstream identity providers a tenant lets its users sign in with (issue #4), stored under `connections` in the
// tenant's settings, keyed by a short id that is also the connection's name in URLs and identities:
// `{"connections":{"google":{"type":"google","clientId":"…","clientSecret":"…"}}}`. Keys rather than an array
// so a merge patch (RFC 7396) can change one connection, or one field of it, and leave its sealed secret alone.
import { z } from 'zod';

const sealed = z.string().regex(/^v1\./, 'must be sealed');
const url = z.url({ protocol: /^https?$/ });
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'use #rrggbb');
// RFC 6749 §3.3 scope-token
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/);

export const connectionTypes = ['google', 'github', 'oidc', 'apple', 'discord'] as const;
export type ConnectionType = (typeof connectionTypes)[number];

const common = {
  enabled: z.boolean().default(true),
  /** the name on the button and in messages; defaults per type ("Google", "GitHub"…) */
  displayName: z.string().min(1).max(64).nullable().default(null),
  /** buttons are shown in ascending order */
  order: z.number().int().min(0).max(1000).default(100),
  button: z.object({
    backgroundColor: colour.nullable().default(null),
    textColor: colour.nullable().default(null),
  }).strict().prefault({}),
  clientId: z.string().min(1).max(256),
  /** replaces the type's default scopes */
  scopes: z.array(scope).min(1).max(20).nullable().default(null),
  /**
   * Link to an existing account with the same email automatically, when the upstream asserts the email verified.
   * Off: the user proves the existing account first (signs in with its current method) before the link is made.
   */
  trustedForLinking: z.boolean().default(false),
  /** each call to the upstream (discovery, token, profile) gives up after this long */
  timeoutMs: z.number().int().min(500).max(30_000).default(10_000),
};

const google = z.object({
  type: z.literal('google'), ...common, clientSecret: sealed,
  issuer: url.default('https://accounts.google.com'),
  /** Google Workspace domain: only id_tokens whose `hd` claim is this domain are accepted */
  hostedDomain: z.string().regex(/^[a-z0-9.-]{1,253}$/).nullable().default(null),
}).strict();

const github = z.object({
  type: z.literal('github'), ...common, clientSecret: sealed,
  baseUrl: url.default('https://github.com'),
  apiUrl: url.default('https://api.github.com'),
  /** organisation logins; a user in none of them is refused (asks for the read:org scope) */
  allowedOrganizations: z.array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/)).max(50).default([]),
}).strict();

const oidc = z.object({
  type: z.literal('oidc'), ...common,
  /** absent: a public client (PKCE only) */
  clientSecret: sealed.nullable().default(null),
  issuer: url,
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
}).strict();

const apple = z.object({
  type: z.literal('apple'), ...common,
  teamId: z.string().regex(/^[A-Z0-9]{10}$/),
  keyId: z.string().regex(/^[A-Z0-9]{10}$/),
  /** the .p8 key (PKCS #8 PEM, P-256) that signs the client secret JWT */
  privateKey: sealed,
  issuer: url.default('https://appleid.apple.com'),
}).strict();

const discord = z.object({
  type: z.literal('discord'), ...common, clientSecret: sealed,
  baseUrl: url.default('https://discord.com'),
}).strict();

export const connectionSchema = z.discriminatedUnion('type', [google, github, oidc, apple, discord]);
export const connectionIdPattern = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const connectionsSchema = z.record(z.string().regex(connectionIdPattern, 'use lower-case letters, digits and dashes'), connectionSchema);

export type ConnectionSettings = z.output<typeof connectionSchema>;
export type ConnectionsSettings = z.output<typeof connectionsSchema>;

export const defaultDisplayNames: Record<ConnectionType, string> = {
  google: 'Google', github: 'GitHub', oidc: 'Single sign-on', apple: 'Apple', discord: 'Discord',
};

export const defaultScopes: Record<ConnectionType, string[]> = {
  google: ['openid', 'email', 'profile'],
  github: ['read:user', 'user:email'],
  oidc: ['openid', 'email', 'profile'],
  apple: ['openid', 'name', 'email'],
  discord: ['identify', 'email'],
};

/** CSS for the connections' button colours (the pages' CSP allows no inline styles), appended to branding.css */
export function connectionButtonCss(connections: ConnectionsSettings): string {
  return Object.entries(connections)
    .filter(([id, c]) => connectionIdPattern.test(id) && (c.button.backgroundColor || c.button.textColor))
    .map(([id, c]) => `.connection-${id}{${c.button.backgroundColor ? `background:${c.button.backgroundColor};border-color:${c.button.backgroundColor};` : ''}${c.button.textColor ? `color:${c.button.textColor};` : ''}}`)
    .join('');
}
