// Dynamic client registration (RFC 7591/7592) of a tenant (issue #17). Stored under `registration`; off by default.
import { z } from 'zod';

// a public signing key: members of private keys (RFC 7518 §6) are refused, so no secret is stored in settings
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const publicJwk = z.object({
  kty: z.enum(['RSA', 'EC', 'OKP']),
  kid: z.string().max(200).optional(),
  alg: z.string().max(20).optional(),
}).passthrough().refine((jwk) => !privateMembers.some((member) => member in jwk), { message: 'a trusted key must be a public key (no private members)' });

export const registrableGrantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

export const registrationSettingsSchema = z.object({
  /** POST /t/<slug>/reg accepts registrations that carry an initial access token (never open registration) */
  enabled: z.boolean().default(false),
  /** RFC 7592: a registered client reads, updates and deletes its record with its registration access token */
  management: z.boolean().default(true),
  /** grant types a registered client may ask for */
  allowedGrantTypes: z.array(z.enum(registrableGrantTypes)).max(3).default(['authorization_code', 'refresh_token']),
  /**
   * `https`: every redirect URI is https. `https-or-loopback`: native apps may also use http on a loopback
   * address (RFC 8252 §7.3); custom schemes are never accepted.
   */
  redirectUris: z.enum(['https', 'https-or-loopback']).default('https'),
  /** OpenID and API scopes a registered client may be allowed (`scope` metadata) */
  allowedScopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).max(100).default(['openid', 'profile', 'email']),
  /** the longest an initial access token may live, in seconds */
  maxInitialAccessTokenTtl: z.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
  /**
   * RFC 7591 §2.3 software statements: JWTs about the software, signed by an issuer the tenant trusts. A verified
   * statement's claims take precedence over the same metadata in the request; `required` refuses registrations
   * without one.
   */
  softwareStatement: z.object({
    required: z.boolean().default(false),
    /** the public keys (JWK) of the issuers whose statements are trusted */
    trustedKeys: z.array(publicJwk).max(20).default([]),
  }).strict().prefault({}),
}).strict().prefault({}).refine((s) => !s.softwareStatement.required || s.softwareStatement.trustedKeys.length > 0, {
  message: 'softwareStatement.required needs at least one key in softwareStatement.trustedKeys',
  path: ['softwareStatement', 'required'],
});

export type RegistrationSettings = z.infer<typeof registrationSettingsSchema>;
