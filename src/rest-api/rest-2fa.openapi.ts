// OpenAPI 3.1 paths of the REST auth API's 2FA surface (issue #16 §3): status, TOTP, SMS, WebAuthn, passkey sign-in,
// the login challenge's send and WebAuthn options, step-up, removing methods, backup codes, trusted devices, policy
// and compliance. Served with the rest of the REST API in the installation's one document (/api/openapi.json).
import type { ErrorCode } from '../errors/error-catalogue.js';
import { messageLanguage } from '../otp-api/otp-api.openapi.js';
import { bearerErrors, challenge, common, operation, tokens, type Json } from './rest-api.openapi.js';

const enabled = (extra: Json = {}) => ({
  type: 'object',
  properties: {
    enabled: { const: true }, factor_id: { type: 'string' },
    backup_codes: { type: ['array', 'null'], items: { type: 'string' }, description: 'ten backup codes, only with the account\'s first factor, shown once' },
    ...extra,
  },
  description: 'under an enrol_mfa challenge the answer also carries the completed sign-in\'s tokens (access_token, refresh_token, …)',
});
const codeSent = { type: 'object', properties: { status: { const: 'code_sent' }, expires_in: { type: 'integer' } } };
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const enrolmentErrors: ErrorCode[] = [...bearerErrors, 'request.invalid', 'mfa.method_unavailable', 'login.expired', 'login.invalid_state', 'app.invalid_credentials'];
const adminErrors: ErrorCode[] = [...bearerErrors, 'auth.forbidden'];
const policy = {
  type: 'object',
  properties: {
    required: { type: 'boolean' }, policy: { enum: ['off', 'optional', 'required'] },
    allowed_methods: { type: 'array', items: { enum: ['totp', 'webauthn', 'sms', 'email'] } },
    grace_period_days: { type: 'integer', minimum: 0, maximum: 365 }, required_since: { type: ['string', 'null'], format: 'date-time' },
  },
};

/**
 * An enrolment step: for the user of a Bearer token, or — answering an enrol_mfa challenge, with no token yet — for
 * the user of `challenge_id`, sent by the app that started the sign-in (client credentials as at /v1/auth/login).
 */
function enrolment(input: Parameters<typeof operation>[0]): Json {
  const op = operation({ ...input, bearer: true, body: { ...input.body, challenge_id: { type: 'string', description: 'an enrol_mfa challenge\'s id, instead of a Bearer token' }, client_id: { type: 'string' }, client_secret: { type: 'string' } } });
  return { ...op, security: [{ bearerAuth: [] }, {}], parameters: [...(input.parameters ?? []), ...(input.sends ? [messageLanguage.header] : [])] };
}

export function rest2faPaths(publicUrl: URL): Record<string, Json> {
  const servers = [{ url: `${publicUrl.origin}/t/{tenant}`, variables: { tenant: { default: 'acme', description: 'the tenant slug' } } }];
  const path = (item: Json) => ({ servers, ...item });
  return {
    '/v1/auth/challenge/{id}/send': path({ post: operation({
      id: 'restChallengeSend', summary: 'Sends the code of a challenge: an mfa challenge\'s to the account\'s SMS factor (`sms`), a verify_email challenge\'s to the account\'s email (`email`)', required: ['method'], parameters: [idParameter], sends: true,
      body: { method: { enum: ['sms', 'email'] } }, ok: codeSent, okStatus: '202',
      errors: [...common, 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) }),
    '/v1/auth/challenge/{id}/webauthn/options': path({ post: operation({
      id: 'restChallengeWebauthnOptions', summary: 'PublicKeyCredentialRequestOptionsJSON for answering an mfa challenge with a passkey', parameters: [idParameter],
      body: {}, ok: { type: 'object', properties: { options: { type: 'object' } } },
      errors: [...common, 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) }),
    '/v1/auth/passkey/options': path({ post: operation({
      id: 'restPasskeyOptions', summary: 'Starts a passkey sign-in (first factor): PublicKeyCredentialRequestOptionsJSON for discoverable credentials', body: {},
      ok: { type: 'object', properties: { request_id: { type: 'string' }, options: { type: 'object' } } },
      errors: [...common, 'mfa.method_unavailable', 'auth.rate_limited'],
    }) }),
    '/v1/auth/passkey/verify': path({ post: operation({
      id: 'restPasskeyVerify', summary: 'Signs in with the passkey\'s assertion: tokens and the user (or the challenge envelope)', required: ['request_id', 'credential'],
      body: { request_id: { type: 'string' }, credential: { type: 'object', description: 'AuthenticationResponseJSON' } },
      ok: { oneOf: [{ ...tokens, properties: { ...tokens.properties, user: { type: 'object' } } }, challenge] },
      errors: [...common, 'mfa.method_unavailable', 'webauthn.failed', 'auth.rate_limited', 'login.expired'],
    }) }),
    '/v1/auth/2fa/status': path({ get: operation({
      id: 'rest2faStatus', summary: 'The user\'s second factors (authenticator apps, SMS number masked, passkeys), backup codes left, the tenant policy', bearer: true,
      ok: { type: 'object', properties: { enabled: { type: 'boolean' }, policy: { type: 'string' }, methods: { type: 'object', properties: { totp: { type: 'array' }, sms: { type: ['object', 'null'] }, webauthn: { type: 'array' }, passkeys: { type: 'integer' } } }, backup_codes_left: { type: 'integer' } } },
      errors: bearerErrors,
    }) }),
    '/v1/auth/2fa/totp/setup': path({ post: enrolment({
      id: 'rest2faTotpSetup', summary: 'Starts setting up an authenticator app: its secret, otpauth URI and QR code (PNG data URL)', body: {},
      ok: { type: 'object', properties: { factor_id: { type: 'string' }, secret: { type: 'string' }, otpauth_uri: { type: 'string' }, qr_png: { type: 'string' } } },
      errors: enrolmentErrors,
    }) }),
    '/v1/auth/2fa/totp/verify': path({ post: enrolment({
      id: 'rest2faTotpVerify', summary: 'Activates the authenticator app with its first code', required: ['factor_id', 'code'],
      body: { factor_id: { type: 'string', format: 'uuid' }, code: { type: 'string' } }, ok: enabled(), errors: [...enrolmentErrors, 'otp.invalid_code'],
    }) }),
    '/v1/auth/2fa/sms/setup': path({ post: enrolment({
      id: 'rest2faSmsSetup', summary: 'Sends a code to the phone number to prove it', required: ['phone'], okStatus: '202', sends: true,
      body: { phone: { type: 'string', description: 'E.164' } },
      ok: { type: 'object', properties: { factor_id: { type: 'string' }, status: { const: 'code_sent' }, expires_in: { type: 'integer' }, to: { type: 'string', description: 'the number, masked' } } },
      errors: [...enrolmentErrors, 'user.invalid_phone', 'auth.rate_limited'],
    }) }),
    '/v1/auth/2fa/sms/verify': path({ post: enrolment({
      id: 'rest2faSmsVerify', summary: 'Proves the number with its code: it becomes the account\'s SMS factor (replacing an earlier one)', required: ['factor_id', 'code'],
      body: { factor_id: { type: 'string' }, code: { type: 'string' } }, ok: enabled(), errors: [...enrolmentErrors, 'otp.invalid_code', 'otp.expired', 'auth.rate_limited'],
    }) }),
    '/v1/auth/2fa/webauthn/register': path({ post: enrolment({
      id: 'rest2faWebauthnRegister', summary: 'Starts registering a passkey: PublicKeyCredentialCreationOptionsJSON; the registration expires after five minutes', body: {},
      ok: { type: 'object', properties: { registration_id: { type: 'string' }, options: { type: 'object' } } },
      errors: [...enrolmentErrors, 'auth.rate_limited'],
    }) }),
    '/v1/auth/2fa/webauthn/register/finish': path({ post: enrolment({
      id: 'rest2faWebauthnFinish', summary: 'Checks and stores the new passkey', required: ['registration_id', 'credential'],
      body: { registration_id: { type: 'string' }, credential: { type: 'object', description: 'RegistrationResponseJSON' }, name: { type: 'string', maxLength: 64 } },
      ok: enabled(), errors: [...enrolmentErrors, 'webauthn.registration_expired', 'webauthn.failed', 'passkey.taken'],
    }) }),
    '/v1/auth/2fa/challenge': path({ get: operation({
      id: 'rest2faStepUp', summary: 'Starts a step-up for the token\'s user: the SMS code is sent at once (in ?locale= or ?ui_locales=, as the body fields of other calls); for webauthn the options come along', bearer: true, sends: true,
      parameters: [
        { name: 'method', in: 'query', required: true, schema: { enum: ['totp', 'sms', 'webauthn'] } },
        ...Object.entries(messageLanguage.fields).map(([name, schema]) => ({ name, in: 'query', required: false, schema: { type: schema.type, maxLength: schema.maxLength }, description: schema.description })),
      ],
      ok: { type: 'object', properties: { challenge: challenge.properties.challenge, expires_in: { type: 'integer' }, options: { type: 'object' } } },
      errors: [...bearerErrors, 'request.invalid', 'mfa.method_unavailable', 'auth.rate_limited'],
    }) }),
    '/v1/auth/2fa/challenge/{id}/verify': path({ post: operation({
      id: 'rest2faStepUpVerify', summary: 'Answers the step-up: fresh tokens whose access token\'s amr holds the method and mfa', bearer: true, parameters: [idParameter],
      body: { method: { enum: ['totp', 'sms', 'webauthn'], description: 'default: the step-up\'s method' }, code: { type: 'string' }, credential: { type: 'object' } },
      ok: tokens, errors: [...bearerErrors, 'request.invalid', 'otp.invalid_code', 'otp.expired', 'webauthn.failed', 'login.expired', 'login.invalid_state', 'auth.rate_limited'],
    }) }),
    '/v1/auth/2fa/method/{method}': path({ delete: operation({
      id: 'rest2faRemoveMethod', summary: 'Removes a second factor: totp, sms, webauthn (every passkey) or webauthn:<id> (one)', bearer: true, ok: null, okStatus: '204',
      parameters: [{ name: 'method', in: 'path', required: true, schema: { type: 'string', pattern: '^(totp|sms|webauthn(:[0-9a-f-]{36})?)$' } }],
      errors: [...bearerErrors, 'request.invalid', 'mfa.method_unavailable'],
    }) }),
    '/v1/auth/2fa/backup-codes': path({ post: operation({
      id: 'rest2faBackupCodes', summary: 'Replaces the backup (recovery) codes; the new ones are shown once', bearer: true,
      ok: { type: 'object', properties: { backup_codes: { type: 'array', items: { type: 'string' } } } },
      errors: [...bearerErrors, 'mfa.method_unavailable'],
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
    '/v1/auth/2fa/policy': path({
      get: operation({ id: 'rest2faPolicy', summary: 'The tenant\'s second-factor policy (tenant admins: the tenant role admin)', bearer: true, ok: policy, errors: adminErrors }),
      put: operation({
        id: 'rest2faSetPolicy', summary: 'Changes the tenant\'s second-factor policy; becoming required starts the grace period (tenant admins)', bearer: true,
        body: { required: { type: 'boolean' }, allowed_methods: policy.properties.allowed_methods, grace_period_days: policy.properties.grace_period_days },
        ok: policy, errors: [...adminErrors, 'request.invalid'],
      }),
    }),
    '/v1/auth/2fa/compliance': path({ get: operation({
      id: 'rest2faCompliance', summary: 'How many users hold a second factor, by method, and how many are in the grace period or overdue (tenant admins)', bearer: true,
      ok: { type: 'object', properties: { policy: { type: 'string' }, total_users: { type: 'integer' }, enrolled: { type: 'integer' }, not_enrolled: { type: 'integer' }, in_grace: { type: 'integer' }, overdue: { type: 'integer' }, grace_ends_at: { type: ['string', 'null'] }, by_method: { type: 'object' } } },
      errors: adminErrors,
    }) }),
  };
}
