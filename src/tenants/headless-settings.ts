// The tenant's JSON sign-in APIs (issue #16 §3). Stored under `headless`. The REST auth API under the issuer
// (`{issuer}/v1/…`) is off until the tenant turns it on; browsers may call it only from the origins listed here, and
// the built-in client's sign-in links lead only to the redirect URIs listed here; `requirePkce` binds sign-in links
// and social sign-in to the device that started them (rest-pkce.ts).
import { z } from 'zod';

/** an origin as a browser sends it: scheme, host and port, no path (also an app's allowed_origins, provider-config.ts) */
export const browserOrigin = z.string().max(200).refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'use an origin such as https://app.example.com (no path, no trailing slash)');

/** a redirect URI as RFC 6749 §3.1.2 has it: absolute, no fragment; http only for loopback (RFC 8252 §7.3) */
const redirectUri = z.string().max(500).refine((value) => {
  try {
    const url = new URL(value);
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    return !url.hash && !value.includes('#') && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback));
  } catch {
    return false;
  }
}, 'use an https URL without a fragment (http only for localhost)');

export const headlessSettingsSchema = z.object({
  restApi: z.boolean().default(false),
  /** origins allowed to call the REST API from a browser (CORS); none by default */
  allowedOrigins: z.array(browserOrigin).max(50).default([]),
  /**
   * where the built-in REST client's sign-in links may lead (POST /v1/auth/magic-link `redirect_to`, exact match);
   * a named app registers its own as its client's redirect_uris
   */
  redirectUris: z.array(redirectUri).max(50).default([]),
  /**
   * sign-in links (POST /v1/auth/magic-link) and social sign-in (GET /v1/auth/authorize) must start with an S256
   * code_challenge and finish with its code_verifier (RFC 7636), so a token handed to the redirect URI signs in only
   * the app and device that started. Off by default: clients of the plain shape (Supabase's implicit flow, curl) keep
   * working; the SDK sends a challenge either way
   */
  requirePkce: z.boolean().default(false),
}).strict().prefault({});

export type HeadlessSettings = z.infer<typeof headlessSettingsSchema>;
