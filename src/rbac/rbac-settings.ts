// How roles and permissions appear in a tenant's tokens (issue #6). Stored under `rbac` in the tenant's settings.
import { z } from 'zod';
import { standardClaims } from '../validation/standard-claims.js';

// Claims a JWT already defines (RFC 7519, RFC 9068, RFC 9396, RFC 8693, OIDC Core): a role claim must not
// overwrite one of them. oidc-provider writes its own claims over ours in access tokens (authorization_details
// among them), and findAccount writes roles over the profile's in id_token and userinfo.
const reservedClaims = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scope', 'client_id', 'auth_time', 'acr', 'amr', 'azp', 'nonce',
  'at_hash', 'c_hash', 's_hash', 'sid', 'cnf', 'authorization_details', 'act', 'may_act', 'events',
  ...Object.values(standardClaims).flat(),
]);
const claimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_:./-]{0,99}$/, 'a claim name is 1–100 letters, digits or _:./- starting with a letter or _')
  .refine((name) => !reservedClaims.has(name), 'that claim is defined by the JWT and OpenID specifications');

export const rbacSettingsSchema = z.object({
  /** the claim holding role names, in access tokens for an API and in id_token/userinfo with the `roles` scope */
  rolesClaim: claimName.default('roles'),
  /** the claim holding the permissions the subject holds on the token's API */
  permissionsClaim: claimName.default('permissions'),
}).strict().refine((s) => s.rolesClaim !== s.permissionsClaim, 'rolesClaim and permissionsClaim must differ').prefault({});

export type RbacSettings = z.infer<typeof rbacSettingsSchema>;
