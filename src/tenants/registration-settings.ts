// Dynamic client registration (RFC 7591/7592) of a tenant (issue #17). Stored under `registration`; off by default.
import { z } from 'zod';

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
}).strict().prefault({});

export type RegistrationSettings = z.infer<typeof registrationSettingsSchema>;
