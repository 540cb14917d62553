// OpenAPI 3.1 paths of the backend OTP API, served in the installation's one document (/api/openapi.json) with a
// path-level server (they live at the root, not under /api) and no OAuth security: the app's credentials are in
// the JSON body. Errors are the one catalogue's Error schema; each operation lists the codes it answers.
import type { ErrorCode } from '../errors/error-catalogue.js';

type Json = Record<string, unknown>;

const credentials = {
  app_id: { type: 'string', description: 'printed by `tessera app create`' },
  app_secret: { type: 'string', description: 'printed once by `tessera app create`; keep it on your backend' },
};
/**
 * The language of the email or SMS a call sends (issue #14; http/request-info.ts messageRequest), shared with the REST
 * API's operations: `locale`, then `ui_locales`, then the Accept-Language header, then the tenant's default language.
 */
export const messageLanguage = {
  fields: {
    locale: { type: 'string', maxLength: 200, examples: ['es', 'pt-BR'], description: 'the language of the message this call sends: a BCP 47 tag, matched to a shipped language (en, es, fr, de, hi, pt) by its primary subtag; one Tessera does not ship is passed over for ui_locales, then Accept-Language, then the tenant\'s default language' },
    ui_locales: { type: 'string', maxLength: 200, examples: ['fr-CA fr en'], description: 'as OIDC\'s ui_locales: space-separated tags by preference, asked after `locale`' },
  },
  header: { name: 'Accept-Language', in: 'header', required: false, schema: { type: 'string' }, description: 'the message\'s language when the body names none Tessera ships (RFC 9110 §12.5.4, by q-value)' },
};
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$' }, description: 'a retry with the same key and body gets the same answer byte for byte; another body with the key: 422' };
const tokens = {
  type: 'object', required: ['access_token', 'refresh_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'RS256 JWT (RFC 9068), aud = the app slug; verify with jwt_public_key or the jwks_uri' },
    refresh_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' },
  },
};
const challenge = {
  type: 'object', required: ['status', 'challenge'],
  properties: {
    status: { const: 'challenge_required' },
    challenge: {
      type: 'object',
      properties: {
        id: { type: 'string' }, kind: { enum: ['mfa', 'enrol_mfa'], description: 'mfa: answer at /auth/challenge/{id}/verify; enrol_mfa: enrol through the REST API with "challenge_id" and the app\'s credentials as client_id/client_secret' },
        methods: { type: 'array', items: { enum: ['totp', 'sms', 'webauthn', 'recovery_code'] } }, expires_at: { type: 'string', format: 'date-time' },
        issuer: { type: 'string', format: 'uri', description: 'the issuer of the app\'s tenant or environment, whose sign-in holds the challenge' },
      },
    },
  },
};

function operation(input: { id: string; summary: string; body?: Json; required?: string[]; idempotent?: boolean; ok: Json; okStatus?: string; errors: ErrorCode[]; bearer?: boolean; pathId?: boolean; sends?: boolean }): Json {
  return {
    operationId: input.id, summary: input.summary, tags: ['backend OTP API'], security: [],
    description: `Error codes: ${input.errors.join(', ')}. A request with an Origin header is refused (request.origin_refused).`,
    parameters: [
      ...(input.idempotent ? [idempotencyKey] : []), ...(input.sends ? [messageLanguage.header] : []), ...(input.bearer ? [{ name: 'Authorization', in: 'header', required: true, schema: { type: 'string', pattern: '^Bearer ' } }] : []),
      ...(input.pathId ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'the challenge id of verify-otp\'s envelope' }] : []),
    ],
    ...(input.body ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['app_id', 'app_secret', ...(input.required ?? [])], properties: { ...credentials, ...input.body, ...(input.sends ? messageLanguage.fields : {}) } } } } } } : {}),
    responses: {
      [input.okStatus ?? '200']: input.okStatus === '204' ? { description: 'Done' } : { description: 'Done', content: { 'application/json': { schema: input.ok } } },
      default: { description: 'An error from the catalogue', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

const common: ErrorCode[] = ['request.origin_refused', 'request.invalid', 'request.unsupported_media_type', 'app.invalid_credentials'];

export function otpApiPaths(publicUrl: URL): Record<string, Json> {
  const servers = [{ url: publicUrl.origin }];
  return {
    '/auth/send-otp': { servers, post: operation({
      id: 'sendOtp', summary: 'Sends a sign-in code by SMS, WhatsApp or email, in the language `locale` asks for', idempotent: true, sends: true,
      body: { phone: { type: 'string', description: 'E.164' }, email: { type: 'string' }, channel: { enum: ['sms', 'whatsapp', 'email'] } },
      ok: { type: 'object', properties: { otp_request_id: { type: 'string' }, channel: { type: 'string' }, expires_in: { type: 'integer' } } },
      errors: [...common, 'user.invalid_email', 'user.invalid_phone', 'otp.invalid_channel', 'auth.rate_limited', 'idempotency.invalid_key', 'idempotency.key_reused', 'idempotency.in_progress'],
    }) },
    '/auth/verify-otp': { servers, post: operation({
      id: 'verifyOtp', summary: 'Checks the code; the user is created on the first verified sign-in', idempotent: true, required: ['otp_request_id', 'otp'],
      body: { otp_request_id: { type: 'string' }, otp: { type: 'string' } },
      ok: { oneOf: [{ ...tokens, properties: { ...tokens.properties, user: { type: 'object', properties: { id: { type: 'string' }, email: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] }, created: { type: 'boolean' } } } } }, challenge] },
      errors: [...common, 'otp.invalid_code', 'otp.expired', 'login.invalid_state', 'auth.rate_limited', 'idempotency.invalid_key', 'idempotency.key_reused', 'idempotency.in_progress'],
    }) },
    '/auth/challenge/{id}/send': { servers, post: operation({
      id: 'otpChallengeSend', summary: 'Sends the code of verify-otp\'s mfa challenge to the account\'s SMS factor', pathId: true, required: ['method'], sends: true,
      body: { method: { const: 'sms' } }, okStatus: '202', ok: { type: 'object', properties: { status: { const: 'code_sent' }, expires_in: { type: 'integer' } } },
      errors: [...common, 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) },
    '/auth/challenge/{id}/webauthn/options': { servers, post: operation({
      id: 'otpChallengeWebauthnOptions', summary: 'PublicKeyCredentialRequestOptionsJSON for answering the challenge with a passkey', pathId: true, body: {},
      ok: { type: 'object', properties: { options: { type: 'object' } } }, errors: [...common, 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) },
    '/auth/challenge/{id}/verify': { servers, post: operation({
      id: 'otpChallengeVerify', summary: 'Answers verify-otp\'s mfa challenge with a TOTP, SMS or recovery code, or a passkey: the token answer of verify-otp', pathId: true, required: ['method'],
      body: { method: { enum: ['totp', 'sms', 'webauthn', 'recovery_code'] }, code: { type: 'string' }, credential: { type: 'object', description: 'webauthn: AuthenticationResponseJSON' } },
      ok: { ...tokens, properties: { ...tokens.properties, user: { type: 'object' } } },
      errors: [...common, 'otp.invalid_code', 'otp.expired', 'webauthn.failed', 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) },
    '/auth/refresh': { servers, post: operation({
      id: 'refreshOtpSession', summary: 'Rotates the refresh token; a replayed one revokes its whole family (the app\'s reuse interval honoured)', idempotent: true, required: ['refresh_token'],
      body: { refresh_token: { type: 'string' } }, ok: tokens,
      errors: [...common, 'token.invalid_refresh', 'idempotency.invalid_key', 'idempotency.key_reused', 'idempotency.in_progress'],
    }) },
    '/auth/logout': { servers, post: operation({
      id: 'logoutOtpSession', summary: 'Revokes the refresh token and its family', required: ['refresh_token'], body: { refresh_token: { type: 'string' } }, okStatus: '204', ok: {},
      errors: common,
    }) },
    '/auth/me': { servers, get: operation({
      id: 'otpMe', summary: 'The user of an access token issued to a headless app', bearer: true,
      ok: { type: 'object', properties: { user: { type: 'object' }, tenant: { type: 'string' }, app: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } } } },
      errors: ['auth.invalid_token'],
    }) },
  };
}
