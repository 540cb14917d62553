// RFC 7591 §2.3 software statements at dynamic registration (and RFC 7592 updates): a JWT about the software,
// signed by an issuer the tenant trusts (`registration.softwareStatement.trustedKeys`). oidc-provider does not
// read `software_statement`; this step, run before the tenant's registration rules, verifies it and lets its claims
// take precedence over the same metadata in the request (§2.3), so they meet the same rules. A statement this tenant
// cannot verify is refused rather than ignored: the registrant would otherwise believe its values applied.
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RegistrationSettings } from '../tenants/registration-settings.js';

// claims that describe the JWT itself (RFC 7519 §4.1), and what the server assigns (RFC 7591 §3.2.1), never taken
const notMetadata = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti',
  'client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri']);
// asymmetric signatures only: a statement's issuer shares no secret with the tenant
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

type Metadata = Record<string, unknown>;

/**
 * Verifies `properties.software_statement` and merges its claims into `properties` (which oidc-provider validates
 * and stores next); the statement itself is not stored.
 * @throws errors.InvalidSoftwareStatement a statement that is not a JWT signed by a trusted key, or lacks `iss`
 * @throws errors.InvalidClientMetadata no statement where the tenant requires one
 */
export async function applySoftwareStatement(settings: RegistrationSettings['softwareStatement'], _ctx: KoaContextWithOIDC, properties: Metadata): Promise<void> {
  const statement = properties.software_statement;
  delete properties.software_statement;
  if (statement === undefined) {
    if (settings.required) throw new errors.InvalidClientMetadata('software_statement is required: this tenant registers only software with a statement from an issuer it trusts');
    return;
  }
  if (typeof statement !== 'string') throw new errors.InvalidSoftwareStatement('software_statement must be a JWT');
  if (!settings.trustedKeys.length) throw new errors.InvalidSoftwareStatement('this tenant trusts no software statement issuer');
  let claims: Metadata;
  try {
    ({ payload: claims } = await jwtVerify(statement, createLocalJWKSet({ keys: settings.trustedKeys as JWK[] }), { algorithms, requiredClaims: ['iss'] }));
  } catch {
    throw new errors.InvalidSoftwareStatement('software_statement is not signed by a trusted issuer, or is expired or malformed');
  }
  for (const [key, value] of Object.entries(claims)) {
    if (!notMetadata.has(key)) properties[key] = value;
  }
}
