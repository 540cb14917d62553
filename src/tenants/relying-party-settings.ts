// How a tenant meets relying-party libraries as their users configure them (issue #17). Stored under `oidc`.
import { z } from 'zod';

export const relyingPartySettingsSchema = z.object({
  /**
   * `scope`: the claims of the granted scopes (profile, email…) are in the id_token too, as Auth.js, oidc-client-ts,
   * openid-client and passport read them, and as Auth0, Keycloak, Okta and Google issue them.
   * `userinfo`: the strict reading of OIDC Core §5.4 — with an access token for userinfo, the id_token carries
   * only `sub` and the authentication claims.
   */
  idTokenClaims: z.enum(['scope', 'userinfo']).default('scope'),
  /**
   * Who gets a refresh token for `offline_access` without also sending `prompt=consent` (OIDC Core §11 lets the
   * OP decide): `first-party` clients only, whose consent is implied, or `all-clients` — a third-party client
   * still needs the user's consent to offline access, on the consent page or from an earlier grant.
   */
  offlineAccess: z.enum(['first-party', 'all-clients']).default('first-party'),
}).strict().prefault({});

export type RelyingPartySettings = z.infer<typeof relyingPartySettingsSchema>;
