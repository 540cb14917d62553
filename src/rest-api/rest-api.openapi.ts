// OpenAPI 3.1 paths of the REST auth API (issue #16 §3), served in the installation's one document
// (/api/openapi.json) with a path-level server: each tenant's issuer, `{PUBLIC_URL}/t/{tenant}`. Errors are the one
// catalogue's Error schema; each operation lists the codes it answers.
import type { ErrorCode } from '../errors/error-catalogue.js';

type Json = Record<string, unknown>;

const clientFields = {
  client_id: { type: 'string', description: 'a headless app of the tenant (`tessera app create`); omit both for the tenant\'s built-in first-party REST client' },
  client_secret: { type: 'string', description: 'the app\'s secret; or send both with HTTP Basic' },
};
const tokens = {
  type: 'object', required: ['access_token', 'refresh_token', 'token_type', 'access_expires_at', 'refresh_expires_at'],
  properties: {
    access_token: { type: 'string', description: 'JWT (RFC 9068) of the tenant, aud = the app slug (`tessera-rest` for the built-in client)' },
    refresh_token: { type: 'string', description: 'rotates at each refresh; works at the tenant\'s standard token endpoint for a named app' },
    token_type: { const: 'Bearer' },
    access_expires_at: { type: 'string', format: 'date-time' },
    refresh_expires_at: { type: 'string', format: 'date-time' },
  },
};
const challenge = {
  type: 'object', required: ['status', 'challenge'],
  properties: {
    status: { const: 'challenge_required' },
    challenge: {
      type: 'object',
      properties: {
        id: { type: 'string' }, kind: { enum: ['mfa', 'enrol_mfa'], description: 'enrol_mfa cannot be answered through this API yet' },
        methods: { type: 'array', items: { enum: ['totp', 'recovery_code'] } }, expires_at: { type: 'string', format: 'date-time' },
      },
    },
  },
};
const errorResponse = { description: 'An error from the catalogue', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

function operation(input: { id: string; summary: string; body?: Json; required?: string[]; ok: Json | null; okStatus?: string; errors: ErrorCode[]; bearer?: boolean; parameters?: Json[] }): Json {
  return {
    operationId: input.id, summary: input.summary, tags: ['REST auth API'],
    security: input.bearer ? [{ bearerAuth: [] }] : [],
    description: `Error codes: ${input.errors.join(', ')}. Answers rest.disabled (404) unless the tenant set headless.restApi; a browser Origin not in headless.allowedOrigins gets rest.origin_not_allowed.`,
    parameters: [
      ...(input.bearer ? [{ name: 'Authorization', in: 'header', required: true, schema: { type: 'string', pattern: '^Bearer ' } }] : []),
      ...(input.parameters ?? []),
    ],
    ...(input.body ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: input.required ?? [], properties: { ...(input.bearer ? {} : clientFields), ...input.body } } } } } } : {}),
    responses: {
      [input.okStatus ?? '200']: input.ok ? { description: 'Done', content: { 'application/json': { schema: input.ok } } } : { description: 'Done' },
      default: errorResponse,
    },
  };
}

const common: ErrorCode[] = ['rest.disabled', 'rest.origin_not_allowed', 'request.invalid', 'request.unsupported_media_type', 'app.invalid_credentials'];
const environmentErrors: ErrorCode[] = ['environment.not_found', 'environment.forbidden'];
const environmentField = { type: 'string', description: 'an environment of the tenant (live, sandbox, …; issue #19). Login: default the user\'s last used; the user must hold a role in any environment but live' };
const bearerErrors: ErrorCode[] = ['rest.disabled', 'rest.origin_not_allowed', 'auth.invalid_token'];

export function restApiPaths(publicUrl: URL): Record<string, Json> {
  const servers = [{ url: `${publicUrl.origin}/t/{tenant}`, variables: { tenant: { default: 'acme', description: 'the tenant slug, or the slug of one of its environments (acme~sandbox)' } } }];
  const path = (item: Json) => ({ servers, ...item });
  return {
    '/v1/auth/login': path({ post: operation({
      id: 'restLogin', summary: 'Signs in with email and password: tokens, or the challenge envelope when a second factor is due', required: ['email', 'password'],
      body: { email: { type: 'string' }, password: { type: 'string' }, environment: environmentField }, ok: { oneOf: [tokens, challenge] },
      errors: [...common, 'login.invalid_credentials', 'auth.rate_limited', 'login.expired', ...environmentErrors],
    }) }),
    '/v1/auth/switch': path({ post: operation({
      id: 'restSwitchEnvironment', summary: 'Tokens for another environment of the tenant without signing in again (issue #19): the refresh token proves the sign-in; the target\'s built-in REST client and second-factor policy apply', required: ['refresh_token', 'environment'],
      body: { refresh_token: { type: 'string' }, environment: environmentField }, ok: { oneOf: [tokens, challenge] },
      errors: [...common, 'token.invalid_refresh', 'login.expired', ...environmentErrors],
    }) }),
    '/v1/environments': path({ get: operation({
      id: 'restEnvironments', summary: 'The environments of the tenant the user may enter (live first), and which one this token is for', bearer: true,
      ok: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { environment: { type: 'string' }, issuer: { type: 'string' }, current: { type: 'boolean' } } } } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/challenge/{id}/verify': path({ post: operation({
      id: 'restVerifyChallenge', summary: 'Answers a challenge with a TOTP or a recovery code: tokens', required: ['method', 'code'],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      body: { method: { enum: ['totp', 'recovery_code'] }, code: { type: 'string' } }, ok: tokens,
      errors: [...common, 'otp.invalid_code', 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) }),
    '/v1/auth/refresh': path({ post: operation({
      id: 'restRefresh', summary: 'Rotates both tokens; a replayed refresh token revokes its whole family', required: ['refresh_token'],
      body: { refresh_token: { type: 'string' } }, ok: tokens, errors: [...common, 'token.invalid_refresh'],
    }) }),
    '/v1/auth/logout': path({ post: operation({
      id: 'restLogout', summary: 'Revokes the refresh token and its grant', required: ['refresh_token'],
      body: { refresh_token: { type: 'string' } }, ok: null, okStatus: '204', errors: common,
    }) }),
    '/v1/whoami': path({ get: operation({
      id: 'restWhoami', summary: 'The user, tenant, app, roles, permissions and session times of the access token', bearer: true,
      ok: {
        type: 'object',
        properties: {
          user: { type: 'object' }, tenant: { type: 'object', properties: { slug: { type: 'string' }, name: { type: 'string' }, issuer: { type: 'string' } } }, app: { type: 'string' },
          roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } },
          session: { type: 'object', properties: { auth_time: { type: ['string', 'null'], format: 'date-time' }, expires_at: { type: ['string', 'null'], format: 'date-time' } } },
        },
      },
      errors: bearerErrors,
    }) }),
    '/v1/permissions/effective': path({ get: operation({
      id: 'restEffectivePermissions', summary: 'The user\'s roles and permissions for an API as they stand now (default: the token\'s audience)', bearer: true,
      parameters: [{ name: 'audience', in: 'query', required: false, schema: { type: 'string' } }],
      ok: { type: 'object', properties: { audience: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/2fa/status': path({ get: operation({
      id: 'rest2faStatus', summary: 'The user\'s second factors: authenticator apps, passkey count, backup codes left, the tenant policy', bearer: true,
      ok: { type: 'object', properties: { enabled: { type: 'boolean' }, policy: { type: 'string' }, methods: { type: 'object' }, backup_codes_left: { type: 'integer' } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/2fa/totp/setup': path({ post: operation({
      id: 'rest2faTotpSetup', summary: 'Starts setting up an authenticator app: its secret, otpauth URI and QR code (PNG data URL)', bearer: true,
      ok: { type: 'object', properties: { factor_id: { type: 'string' }, secret: { type: 'string' }, otpauth_uri: { type: 'string' }, qr_png: { type: 'string' } } },
      errors: [...bearerErrors, 'request.invalid'],
    }) }),
    '/v1/auth/2fa/totp/verify': path({ post: operation({
      id: 'rest2faTotpVerify', summary: 'Activates the authenticator app with its first code; the first factor\'s backup codes are returned once', bearer: true, required: ['factor_id', 'code'],
      body: { factor_id: { type: 'string', format: 'uuid' }, code: { type: 'string' } },
      ok: { type: 'object', properties: { enabled: { const: true }, backup_codes: { type: ['array', 'null'], items: { type: 'string' } } } },
      errors: [...bearerErrors, 'request.invalid', 'otp.invalid_code'],
    }) }),
    '/v1/auth/2fa/method/{method}': path({ delete: operation({
      id: 'rest2faRemoveMethod', summary: 'Removes the user\'s authenticator apps (method `totp`)', bearer: true, ok: null, okStatus: '204',
      parameters: [{ name: 'method', in: 'path', required: true, schema: { enum: ['totp'] } }],
      errors: [...bearerErrors, 'request.invalid'],
    }) }),
    '/v1/auth/2fa/backup-codes': path({ post: operation({
      id: 'rest2faBackupCodes', summary: 'Replaces the backup (recovery) codes; the new ones are shown once', bearer: true,
      ok: { type: 'object', properties: { backup_codes: { type: 'array', items: { type: 'string' } } } },
      errors: [...bearerErrors, 'request.invalid'],
    }) }),
    '/v1/auth/2fa/trusted-devices': path({ get: operation({
      id: 'rest2faTrustedDevices', summary: 'The browsers remembered after a second factor', bearer: true,
      ok: { type: 'object', properties: { devices: { type: 'array', items: { type: 'object' } } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/2fa/trusted-devices/{id}': path({ delete: operation({
      id: 'rest2faForgetDevice', summary: 'Forgets a remembered browser: it is asked for a second factor again', bearer: true, ok: null, okStatus: '204',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      errors: [...bearerErrors, 'device.not_found'],
    }) }),
  };
}
