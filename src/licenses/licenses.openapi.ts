// OpenAPI 3.1 paths of the backend license API (/licenses/…), served in the installation's one document with a
// path-level server (they live at the root, not under /api) and no OAuth security: the app's credentials are in the
// JSON body, as for the backend OTP API. Each operation lists the catalogue codes it answers.
import type { ErrorCode } from '../errors/error-catalogue.js';

type Json = Record<string, unknown>;

const credentials = {
  app_id: { type: 'string', description: 'printed by `tessera app create`' },
  app_secret: { type: 'string', description: 'printed once by `tessera app create`; keep it on your backend' },
};
const presented = {
  key: { type: 'string', description: 'the license key as typed (case, blanks and hyphens do not matter); or license_token' },
  license_token: { type: 'string', description: 'a license token this tenant signed (an expired one still names its activation); or key' },
  device_fingerprint: { type: 'string', maxLength: 512, description: 'stable per device; the token holds its SHA-256 (dfp)' },
};
const activation = {
  type: 'object',
  properties: { id: { type: 'string' }, license_id: { type: 'string' }, device_name: { type: ['string', 'null'] }, created_at: { type: 'string', format: 'date-time' }, last_heartbeat_at: { type: 'string', format: 'date-time' } },
};
const tokenAnswer = {
  type: 'object', required: ['activation', 'license_token', 'expires_at'],
  properties: {
    activation,
    license_token: { type: 'string', description: 'compact JWS, typ license+jwt, EdDSA, kid of the tenant JWKS: product, policy, entitlements, dfp, act, iat/nbf/exp, grace, hb, jti, seq, lic_exp' },
    expires_at: { type: 'string', format: 'date-time' },
  },
};

function operation(input: { id: string; summary: string; body: Json; required: string[]; ok: Json; errors: ErrorCode[] }): Json {
  return {
    operationId: input.id, summary: input.summary, tags: ['backend license API'], security: [],
    description: `Error codes: ${input.errors.join(', ')}. A request with an Origin header is refused (request.origin_refused).`,
    parameters: [],
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['app_id', 'app_secret', ...input.required], properties: { ...credentials, ...input.body } } } } },
    responses: {
      200: { description: 'Done', content: { 'application/json': { schema: input.ok } } },
      default: { description: 'An error from the catalogue', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

const common: ErrorCode[] = ['request.origin_refused', 'request.invalid', 'request.unsupported_media_type', 'app.invalid_credentials', 'license.signing_unavailable'];
const presentedErrors: ErrorCode[] = ['license.invalid_key', 'license.not_found', 'license.invalid_token', 'license.fingerprint_mismatch', 'license.revoked', 'license.expired', 'license.not_activated'];

export function licensesApiPaths(publicUrl: URL): Record<string, Json> {
  const servers = [{ url: publicUrl.origin }];
  return {
    '/licenses/activate': { servers, post: operation({
      id: 'activateLicense', summary: 'Takes a seat of the license for a device (again: the same activation, no second seat)', required: ['key', 'device_fingerprint'],
      body: { key: presented.key, device_fingerprint: presented.device_fingerprint, device_name: { type: 'string', maxLength: 100 }, device_public_key: { type: 'object', description: 'public JWK (OKP Ed25519 or EC P-256) that signs this device\'s deactivation receipts' } },
      ok: { ...tokenAnswer, properties: { ...tokenAnswer.properties, reactivated: { type: 'boolean' } } },
      errors: [...common, 'license.invalid_key', 'license.not_found', 'license.revoked', 'license.expired', 'license.seat_limit', 'license.rate_limited'],
    }) },
    '/licenses/validate': { servers, post: operation({
      id: 'validateLicense', summary: 'Checks the license online; the signed answer echoes the nonce so a recorded answer cannot be replayed', required: ['device_fingerprint'],
      body: { ...presented, nonce: { type: 'string', maxLength: 128 } },
      ok: { type: 'object', properties: { valid: { const: true }, nonce: { type: ['string', 'null'] }, license: { type: 'object' }, activation, signed_answer: { type: 'string', description: 'compact JWS, typ license-validation+jwt: status, nonce, act, dfp, entitlements, seq; valid 5 minutes' } } },
      errors: [...common, ...presentedErrors],
    }) },
    '/licenses/heartbeat': { servers, post: operation({
      id: 'licenseHeartbeat', summary: 'Keeps the device\'s seat and renews its license token; a device silent past the policy\'s period was released', required: ['device_fingerprint'],
      body: presented, ok: tokenAnswer, errors: [...common, ...presentedErrors],
    }) },
    '/licenses/deactivate': { servers, post: operation({
      id: 'deactivateLicense', summary: 'Frees the device\'s seat: from the device (key or license_token + fingerprint), or later from its signed deactivation receipt', required: [],
      body: { ...presented, receipt: { type: 'string', description: 'compact JWS, typ license-deactivation+jwt, signed by the device key: act, dfp, iat, jti' } },
      ok: { type: 'object', properties: { deactivated: { const: true }, activation_id: { type: 'string' }, already: { type: 'boolean' } } },
      errors: [...common, ...presentedErrors, 'license.invalid_receipt', 'license.rate_limited'],
    }) },
  };
}
