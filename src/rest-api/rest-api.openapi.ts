// OpenAPI 3.1 paths of the REST auth API (issue #16 §3), served in the installation's one document
// (/api/openapi.json) with a path-level server: each tenant's issuer, `{PUBLIC_URL}/t/{tenant}`. Errors are the one
// catalogue's Error schema; each operation lists the codes it answers.
import type { ErrorCode } from '../errors/error-catalogue.js';
import { messageLanguage } from '../otp-api/otp-api.openapi.js';

export type Json = Record<string, unknown>;

const clientFields = {
  client_id: { type: 'string', description: 'a headless app of the tenant (`tessera app create`); omit both for the tenant\'s built-in first-party REST client' },
  client_secret: { type: 'string', description: 'the app\'s secret; or send both with HTTP Basic' },
};
export const tokens = {
  type: 'object', required: ['access_token', 'refresh_token', 'token_type', 'access_expires_at', 'refresh_expires_at'],
  properties: {
    access_token: { type: 'string', description: 'JWT (RFC 9068) of the tenant, aud = the app slug (`tessera-rest` for the built-in client)' },
    refresh_token: { type: 'string', description: 'rotates at each refresh; works at the tenant\'s standard token endpoint for a named app' },
    token_type: { const: 'Bearer' },
    access_expires_at: { type: 'string', format: 'date-time' },
    refresh_expires_at: { type: 'string', format: 'date-time' },
  },
};
export const challenge = {
  type: 'object', required: ['status', 'challenge'],
  properties: {
    status: { const: 'challenge_required' },
    challenge: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        kind: { enum: ['mfa', 'enrol_mfa', 'verify_email', 'step_up'], description: 'mfa: answer at /v1/auth/challenge/{id}/verify; enrol_mfa: enrol one of the methods with "challenge_id" (TOTP, SMS or WebAuthn setup); verify_email (signIn.requireVerifiedEmail, after a right password of an account whose email is unverified): send a code to the email at /v1/auth/challenge/{id}/send {"method": "email"}, answer at /v1/auth/challenge/{id}/verify {"method": "email", "code"}, then tokens or the next challenge; step_up: /v1/auth/2fa/challenge/{id}/verify' },
        methods: { type: 'array', items: { enum: ['totp', 'sms', 'webauthn', 'recovery_code', 'email'] }, description: 'exactly the methods this user can use (mfa) or enrol (enrol_mfa) here; ["email"] for verify_email' },
        expires_at: { type: 'string', format: 'date-time' },
        issuer: { type: 'string', format: 'uri', description: 'the issuer (tenant or environment) whose sign-in holds the challenge: answer it under {issuer}/v1 — another environment\'s after a login into the user\'s last-used environment (issue #19)' },
      },
    },
  },
};
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$' }, description: 'a retry with the same key and body gets the same answer byte for byte (no second message, no second token); another body with the key: 422' };
const idempotencyErrors: ErrorCode[] = ['idempotency.invalid_key', 'idempotency.key_reused', 'idempotency.in_progress'];
const codeSent = { type: 'object', required: ['status', 'expires_in'], properties: { status: { const: 'code_sent' }, expires_in: { type: 'integer', description: 'seconds the code works' } } };
const signedInUser = { type: 'object', properties: { id: { type: 'string' }, email: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] }, created: { type: 'boolean', description: 'this sign-in created the account' } } };
const tokensWithUser = { ...tokens, properties: { ...tokens.properties, user: signedInUser } };
/** RFC 7636 on the redirect-borne sign-ins (rest-pkce.ts): the start's challenge, the finishing call's verifier */
const pkceStart = {
  code_challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: 'PKCE (RFC 7636): BASE64URL(SHA-256(code_verifier)), unpadded. The verify call must then bring code_verifier, from the app and device that started. Required when the tenant set headless.requirePkce' },
  code_challenge_method: { enum: ['S256', 's256'], description: 'with code_challenge; plain (or none, which RFC 7636 §4.3 reads as plain) is refused: pkce.method_not_supported' },
};
const pkceErrors: ErrorCode[] = ['pkce.required', 'pkce.method_not_supported', 'pkce.invalid_challenge'];
const codeVerifier = { code_verifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$', description: 'the PKCE verifier of a sign-in started with code_challenge (required then; refused for one started without). A missing or wrong one is pkce.invalid_verifier and spends nothing' } };
const errorResponse = { description: 'An error from the catalogue', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

export function operation(input: { id: string; summary: string; body?: Json; required?: string[]; ok: Json | null; okStatus?: string; errors: ErrorCode[]; bearer?: boolean; parameters?: Json[]; idempotent?: boolean; sends?: boolean }): Json {
  return {
    operationId: input.id, summary: input.summary, tags: ['REST auth API'],
    security: input.bearer ? [{ bearerAuth: [] }] : [],
    description: `Error codes: ${[...input.errors, ...(input.idempotent ? idempotencyErrors : [])].join(', ')}. Answers rest.disabled (404) unless the tenant set headless.restApi; a browser Origin in neither headless.allowedOrigins nor the named app's allowed_origins gets rest.origin_not_allowed.`,
    parameters: [
      ...(input.bearer ? [{ name: 'Authorization', in: 'header', required: true, schema: { type: 'string', pattern: '^Bearer ' } }] : []),
      ...(input.parameters ?? []),
      ...(input.idempotent ? [idempotencyKey] : []),
      ...(input.sends ? [messageLanguage.header] : []),
    ],
    ...(input.body ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: input.required ?? [], properties: { ...(input.bearer ? {} : clientFields), ...input.body, ...(input.sends ? messageLanguage.fields : {}) } } } } } } : {}),
    responses: {
      [input.okStatus ?? '200']: input.ok ? { description: 'Done', content: { 'application/json': { schema: input.ok } } } : { description: 'Done' },
      default: errorResponse,
    },
  };
}

export const common: ErrorCode[] = ['rest.disabled', 'rest.origin_not_allowed', 'request.invalid', 'request.unsupported_media_type', 'app.invalid_credentials'];
const environmentErrors: ErrorCode[] = ['environment.not_found', 'environment.forbidden'];
const environmentField = { type: 'string', description: 'an environment of the tenant (live, sandbox, …; issue #19). Login: default the user\'s last used; the user must hold a role in any environment but live' };
export const bearerErrors: ErrorCode[] = ['rest.disabled', 'rest.origin_not_allowed', 'auth.invalid_token'];

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
      id: 'restVerifyChallenge', summary: 'Answers an mfa challenge with a TOTP, SMS or recovery code (`code`) or a passkey (`credential`): tokens. Answers a verify_email challenge with the code emailed to the account: the email is verified, then tokens or the next challenge (mfa, enrol_mfa)', required: ['method'],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      body: {
        method: { enum: ['totp', 'sms', 'webauthn', 'recovery_code', 'email'] }, code: { type: 'string', description: 'totp, sms, recovery_code, email' },
        credential: { type: 'object', description: 'webauthn: the AuthenticationResponseJSON of navigator.credentials.get, with the options of /webauthn/options' },
      },
      ok: { oneOf: [tokens, challenge] },
      errors: [...common, 'otp.invalid_code', 'otp.expired', 'webauthn.failed', 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) }),
    '/v1/auth/refresh': path({ post: operation({
      id: 'restRefresh', summary: 'Rotates both tokens; a replayed refresh token revokes its whole family', required: ['refresh_token'],
      body: { refresh_token: { type: 'string' } }, ok: tokens, errors: [...common, 'token.invalid_refresh'], idempotent: true,
    }) }),
    '/v1/auth/logout': path({ post: operation({
      id: 'restLogout', summary: 'Revokes the refresh token and its grant', required: ['refresh_token'],
      body: { refresh_token: { type: 'string' } }, ok: null, okStatus: '204', errors: common,
    }) }),
    '/v1/whoami': path({ get: operation({
      id: 'restWhoami', summary: 'The user, tenant, app, roles, permissions, sign-in methods (amr) and session of the access token', bearer: true,
      ok: {
        type: 'object',
        properties: {
          user: { type: 'object' }, tenant: { type: 'object', properties: { slug: { type: 'string' }, name: { type: 'string' }, issuer: { type: 'string' } } }, app: { type: 'string' },
          roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } },
          amr: { type: 'array', items: { type: 'string' }, description: 'RFC 8176 methods of the sign-in (pwd, otp, sms, mfa …)' },
          session: { type: 'object', properties: { id: { type: ['string', 'null'], description: 'the session\'s id, as the account and console session pages list it' }, auth_time: { type: ['string', 'null'], format: 'date-time' }, expires_at: { type: ['string', 'null'], format: 'date-time' } } },
        },
      },
      errors: bearerErrors,
    }) }),
    '/v1/permissions/effective': path({ get: operation({
      id: 'restEffectivePermissions', summary: 'The user\'s roles and permissions for an API as they stand now (default: the API the token\'s permissions are on, the tenant\'s default API)', bearer: true,
      parameters: [{ name: 'audience', in: 'query', required: false, schema: { type: 'string' } }],
      ok: { type: 'object', properties: { audience: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/signup': path({ post: operation({
      id: 'restSignUp', summary: 'Sends a code to the email; no account exists until /signup/verify. A taken address gets the same answer (its owner an email saying so)', required: ['email'], idempotent: true, sends: true,
      body: { email: { type: 'string' }, password: { type: 'string', description: 'the tenant\'s password policy; or give it at verify; without one the account is passwordless' }, user_metadata: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } },
      ok: codeSent, okStatus: '202',
      errors: [...common, 'signup.disabled', 'user.invalid_email', 'password.too_short', 'password.too_long', 'password.too_common', 'auth.rate_limited'],
    }) }),
    '/v1/auth/signup/verify': path({ post: operation({
      id: 'restSignUpVerify', summary: 'Answers the sign-up code: the account is created and signed in (tokens and user), or the enrol_mfa challenge envelope', required: ['email', 'code'], idempotent: true,
      body: { email: { type: 'string' }, code: { type: 'string' }, password: { type: 'string', description: 'replaces one given at sign-up' } },
      ok: { oneOf: [tokensWithUser, challenge] },
      errors: [...common, 'signup.disabled', 'user.invalid_email', 'password.too_short', 'password.too_long', 'password.too_common', 'otp.invalid_code', 'otp.expired', 'auth.rate_limited', 'login.expired'],
    }) }),
    '/v1/auth/otp': path({ post: operation({
      id: 'restOtp', summary: 'Passwordless sign-in: sends a code by email, SMS or WhatsApp (the same answer for every address or number)', idempotent: true, sends: true,
      body: { email: { type: 'string' }, phone: { type: 'string', description: 'E.164' }, channel: { enum: ['email', 'sms', 'whatsapp'], description: 'default: email for an email, sms for a phone' } },
      ok: codeSent, okStatus: '202',
      errors: [...common, 'user.invalid_email', 'user.invalid_phone', 'otp.invalid_channel', 'auth.rate_limited'],
    }) }),
    '/v1/auth/otp/verify': path({ post: operation({
      id: 'restOtpVerify', summary: 'Answers the latest code for the email or phone (a sign-in link\'s email carries one too): tokens and user (created on the first verified sign-in where the tenant allows sign-up), or the challenge envelope', required: ['code'], idempotent: true,
      body: { email: { type: 'string' }, phone: { type: 'string' }, code: { type: 'string' }, code_verifier: { ...codeVerifier.code_verifier, description: 'required for the code of a sign-in link asked for with code_challenge; ignored otherwise' } },
      ok: { oneOf: [tokensWithUser, challenge] },
      errors: [...common, 'user.invalid_email', 'user.invalid_phone', 'otp.invalid_code', 'otp.expired', 'login.expired', 'auth.rate_limited', 'pkce.invalid_verifier'],
    }) }),
    '/v1/auth/magic-link': path({ post: operation({
      id: 'restMagicLink', summary: 'Passwordless sign-in by link: emails a link to `redirect_to` with `type=magiclink&token=…` added to its query (and a code, for /v1/auth/otp/verify where the link was asked for). The same answer for every address; the tenant\'s send limits and magic-link TTL apply', required: ['email', 'redirect_to'], idempotent: true, sends: true,
      body: { email: { type: 'string' }, redirect_to: { type: 'string', format: 'uri', description: 'exactly one of the calling app\'s redirect URIs: a named app\'s client redirect_uris; the built-in client\'s are the tenant setting headless.redirectUris' }, ...pkceStart },
      ok: { type: 'object', required: ['status', 'expires_in'], properties: { status: { const: 'link_sent' }, expires_in: { type: 'integer', description: 'seconds the link works' } } }, okStatus: '202',
      errors: [...common, 'magiclink.disabled', 'rest.redirect_not_allowed', 'user.invalid_email', 'auth.rate_limited', ...pkceErrors],
    }) }),
    '/v1/auth/magic-link/verify': path({ post: operation({
      id: 'restMagicLinkVerify', summary: 'Called by the app\'s page the link opened, with the link\'s token, by the app that asked for the link: tokens and user (created on a first sign-in where the tenant allows sign-up), or the challenge envelope. A token works once; it signs in the caller — the browser that opened the link — and ends the sign-in that asked for it', required: ['token'], idempotent: true,
      body: { token: { type: 'string', description: 'the link\'s `token` query parameter' }, token_hash: { type: 'string', description: 'another name for token (Supabase\'s)' }, auth_code: { type: 'string', description: 'another name for token (Supabase\'s PKCE exchange)' }, type: { const: 'magiclink', description: 'optional' }, ...codeVerifier },
      ok: { oneOf: [tokensWithUser, challenge] },
      errors: [...common, 'magiclink.invalid', 'login.expired', 'login.invalid_state', 'pkce.invalid_verifier', 'pkce.required'],
    }) }),
    '/v1/auth/authorize': path({ get: {
      operationId: 'restAuthorize', tags: ['REST auth API'], security: [],
      summary: 'Social sign-in, as a browser navigation (not a JSON call): 303 to the upstream (state bound to this browser by a cookie, PKCE, nonce); after the tenant\'s callback, 303 to `redirect_to` with `type=federated&token=…` added to its query, for /v1/auth/federated/verify',
      description: 'Error codes: rest.disabled, request.invalid, app.invalid_credentials, rest.redirect_not_allowed, federated.unknown_provider, federated.upstream_failed, pkce.required, pkce.method_not_supported, pkce.invalid_challenge. An upstream refusal after the redirect is shown as a page at the callback, as for the hosted login.',
      parameters: [
        { name: 'provider', in: 'query', required: true, schema: { type: 'string' }, description: 'an enabled connection of the tenant (google, github, …)' },
        { name: 'redirect_to', in: 'query', required: true, schema: { type: 'string', format: 'uri' }, description: 'exactly one of the app\'s redirect URIs (as for /v1/auth/magic-link)' },
        { name: 'client_id', in: 'query', required: false, schema: { type: 'string' }, description: 'a headless app of the tenant (no secret here: it verifies with it); omit for the built-in client' },
        { name: 'code_challenge', in: 'query', required: false, schema: pkceStart.code_challenge, description: pkceStart.code_challenge.description },
        { name: 'code_challenge_method', in: 'query', required: false, schema: { enum: pkceStart.code_challenge_method.enum }, description: pkceStart.code_challenge_method.description },
      ],
      responses: { 303: { description: 'To the upstream' }, default: errorResponse },
    } }),
    '/v1/auth/federated/verify': path({ post: operation({
      id: 'restFederatedVerify', summary: 'Called by the app\'s page the social sign-in returned to, with its token, by the app that started it: tokens and user (created on a first sign-in where the tenant allows sign-up), or the challenge envelope. A token works once, for 5 minutes', required: ['token'], idempotent: true,
      body: { token: { type: 'string', description: 'the redirect\'s `token` query parameter' }, auth_code: { type: 'string', description: 'another name for token (Supabase\'s PKCE exchange)' }, type: { const: 'federated', description: 'optional' }, ...codeVerifier },
      ok: { oneOf: [tokensWithUser, challenge] },
      errors: [...common, 'federated.invalid', 'federated.link_required', 'federated.not_allowed', 'signup.disabled', 'login.expired', 'login.invalid_state', 'pkce.invalid_verifier', 'pkce.required'],
    }) }),
    '/v1/auth/recovery/initiate': path({ post: operation({
      id: 'restRecoveryInitiate', summary: 'Sends a recovery code by email, or by SMS to the account\'s verified phone; the same answer for every address. Security questions are refused (NIST SP 800-63B §5.1.1.2)', required: ['email'], idempotent: true, sends: true,
      body: { email: { type: 'string' }, method: { enum: ['email', 'sms'], default: 'email' } },
      ok: codeSent, okStatus: '202',
      errors: [...common, 'recovery.method_not_supported', 'recovery.disabled', 'user.invalid_email', 'auth.rate_limited'],
    }) }),
    '/v1/auth/recovery/verify': path({ post: operation({
      id: 'restRecoveryVerify', summary: 'Sets the new password with the recovery code and ends every session and refresh token of the account; signs nobody in (the next sign-in asks for the second factor as usual). The "password changed" email is in `locale`, else the recovery code\'s language', required: ['email', 'code', 'password'], idempotent: true, sends: true,
      body: { email: { type: 'string' }, code: { type: 'string' }, password: { type: 'string' } },
      ok: { type: 'object', properties: { status: { const: 'password_reset' } } },
      errors: [...common, 'recovery.disabled', 'user.invalid_email', 'password.too_short', 'password.too_long', 'password.too_common', 'otp.invalid_code', 'otp.expired', 'auth.rate_limited'],
    }) }),
  };
}
