// The documented refusals of the REST auth API's 2FA surface (issue #16 §3) that the flow tests do not meet: a factor
// the tenant does not offer (mfa.method_unavailable), send limits and the account's second-factor lock
// (auth.rate_limited with Retry-After), the passkey options limit per IP, a passkey registered twice (passkey.taken)
// or for another origin (webauthn.failed), a step-up SMS code that is gone (otp.expired), and another app's or an
// unknown challenge at the backend OTP API (login.expired).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { outboxCode, restApi, type RestEnvelope, type RestTokens } from '../support/rest-api.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { useTessera } from '../support/use-tessera.js';

interface Registration { registration_id: string; options: { challenge: string; rp: { id: string }; user: { id: string } } }

describe('REST auth API 2FA: the refusals', () => {
  const server = useTessera();

  async function tenantWith(settings: Record<string, unknown>) {
    const { slug, issuer } = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, ...settings })]);
    const api = restApi(issuer);
    const user = await createUser(server, slug);
    const token = (await api.json<RestTokens>(api.login(user))).access_token;
    return { slug, issuer, api, user, token };
  }

  async function expectRateLimited(response: Promise<Response>) {
    const answered = await response;
    assert.ok(Number(answered.headers.get('retry-after')) > 0, 'Retry-After');
    await restApi('http://unused').expectError(answered, 429, 'auth.rate_limited');
  }

  it('a factor the tenant does not offer: mfa.method_unavailable for its setup', async () => {
    const { api, token } = await tenantWith({ mfa: { factors: { totp: false, sms: false, passkey: false } } });
    await api.expectError(api.call('POST', 'auth/2fa/totp/setup', token, {}), 400, 'mfa.method_unavailable');
    await api.expectError(api.call('POST', 'auth/2fa/sms/setup', token, { phone: randomMobile('GB') }), 400, 'mfa.method_unavailable');
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register', token, {}), 400, 'mfa.method_unavailable');
    await api.expectError(api.call('POST', 'auth/passkey/verify', null, { request_id: 'AAAAAAAAAAAAAAAAAAAAAA', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a', authenticatorData: 'a', signature: 'a' } } }), 400, 'mfa.method_unavailable');
  });

  it('send limits: a second code to the same number within the tenant’s limit is auth.rate_limited, at setup, login and step-up', async () => {
    const { api, issuer, user, token } = await tenantWith({ signIn: { limits: { perIdentifier: { limit: 1, windowSeconds: 3600 } } } });
    const phone = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await expectRateLimited(api.call('POST', 'auth/2fa/sms/setup', token, { phone }));
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(issuer, phone) }));
    const envelope = await api.json<RestEnvelope>(api.login(user));
    await expectRateLimited(api.call('POST', `auth/challenge/${envelope.challenge.id}/send`, null, { method: 'sms' }));
    await expectRateLimited(api.call('GET', 'auth/2fa/challenge?method=sms', token));
  });

  it('the account’s second-factor lock: ten wrong codes, then auth.rate_limited even for the right one', async () => {
    const { api, user, token } = await tenantWith({});
    const enrolment = await api.json<{ factor_id: string; secret: string }>(api.call('POST', 'auth/2fa/totp/setup', token, {}));
    await api.json(api.call('POST', 'auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await totpCode(enrolment.secret) }));
    const envelope = await api.json<RestEnvelope>(api.login(user));
    for (let i = 0; i < 10; i++) await api.expectError(api.call('POST', `auth/challenge/${envelope.challenge.id}/verify`, null, { method: 'totp', code: '000000' }), 400, 'otp.invalid_code');
    await expectRateLimited(api.call('POST', `auth/challenge/${envelope.challenge.id}/verify`, null, { method: 'totp', code: await totpCode(enrolment.secret, Date.now() + 30_000) }));
  });

  it('a step-up SMS code with too many wrong attempts is gone: otp.expired', async () => {
    const { api, issuer, token } = await tenantWith({});
    const phone = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(issuer, phone) }));
    const stepUp = await api.json<{ challenge: { id: string } }>(api.call('GET', 'auth/2fa/challenge?method=sms', token));
    const code = await outboxCode(issuer, phone, 2);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 4; i++) await api.expectError(api.call('POST', `auth/2fa/challenge/${stepUp.challenge.id}/verify`, token, { code: wrong }), 400, 'otp.invalid_code');
    await api.expectError(api.call('POST', `auth/2fa/challenge/${stepUp.challenge.id}/verify`, token, { code: wrong }), 400, 'otp.expired');
    await api.expectError(api.call('POST', `auth/2fa/challenge/${stepUp.challenge.id}/verify`, token, { code }), 400, 'otp.expired');
  });

  it('passkeys: registered twice is passkey.taken; made for another origin is webauthn.failed; too many options from one IP is auth.rate_limited', async () => {
    const { api, issuer, token } = await tenantWith({ signIn: { methods: { passkey: true } } });
    const authenticator = createSoftwareAuthenticator(new URL(issuer).origin);
    const first = await api.json<Registration>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    const credential = authenticator.register(first.options);
    await api.json(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: first.registration_id, credential }));
    const second = await api.json<Registration>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: second.registration_id, credential: authenticator.register(second.options, { reuse: credential.id }) }), 409, 'passkey.taken');
    const third = await api.json<Registration>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: third.registration_id, credential: authenticator.register(third.options, { origin: 'https://phish.example' }) }), 400, 'webauthn.failed');

    // 300 challenges per 5 minutes per IP (passkey-guard.ts), counted across the ceremonies: three registrations so far
    let issued = 0;
    while (issued < 400 && (await api.call('POST', 'auth/passkey/options', null, {})).status === 200) issued++;
    assert.equal(issued, 297);
    await expectRateLimited(api.call('POST', 'auth/passkey/options', null, {}));
    await expectRateLimited(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
  });

  it('the backend OTP API: an unknown challenge, or one of the REST API, is login.expired', async () => {
    const { slug, api, user } = await tenantWith({ signIn: { methods: { emailOtp: true } }, mfa: { policy: 'required', graceDays: 0 } });
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Backend', '--slug', 'backend-app']);
    const post = (path: string, body: unknown) => fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const creds = { app_id: app.app_id, app_secret: app.app_secret };
    await api.expectError(post('challenge/AAAAAAAAAAAAAAAAAAAAAA/verify', { ...creds, method: 'totp', code: '123456' }), 400, 'login.expired');
    const restChallenge = (await api.json<RestEnvelope>(api.login(user))).challenge.id;
    await api.expectError(post(`challenge/${restChallenge}/verify`, { ...creds, method: 'totp', code: '123456' }), 400, 'login.expired');
    await api.expectError(post(`challenge/${restChallenge}/send`, { ...creds, method: 'sms' }), 400, 'login.expired');
  });
});
