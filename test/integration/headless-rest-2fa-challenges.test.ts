// The REST auth API's challenges beyond the login's own (issue #16 §3) over HTTP: step-up (GET
// /v1/auth/2fa/challenge?method=, POST …/{id}/verify) with TOTP, SMS and WebAuthn for fresh tokens whose amr holds the
// factor; enrol_mfa challenges answered by enrolling with the challenge id; the tenant's policy and compliance for
// tenant admins only; and the backend OTP API resolving verify-otp's envelope at /auth/challenge/{id}/….
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { outboxCode, restApi, type RestEnvelope, type RestTokens } from '../support/rest-api.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { letTimePass } from '../support/test-clock.js';
import { useTessera } from '../support/use-tessera.js';

interface Enrolment { factor_id: string; secret: string }
interface StepUp { challenge: { id: string; kind: string; methods: string[]; expires_at: string }; options?: { challenge: string; allowCredentials: { id: string }[] }; expires_in?: number }
const amrOf = (token: string) => decodeJwt(token).amr as string[];
const DAY = 86_400_000;

describe('REST auth API challenges: step-up, enrol_mfa, policy and compliance, the OTP API’s challenge', () => {
  const server = useTessera({}, { movableClock: true });
  let slug: string;
  let issuer: string;
  let api: ReturnType<typeof restApi>;

  /** a code of the authenticator one time step later than any used so far */
  async function nextTotp(secret: string) {
    await letTimePass(server, 30_000);
    return totpCode(secret, server.clock!.now());
  }

  async function withTotp(user: { email: string; password: string }) {
    const token = (await api.json<RestTokens>(api.login(user))).access_token;
    const enrolment = await api.json<Enrolment>(api.call('POST', 'auth/2fa/totp/setup', token, {}));
    await api.json(api.call('POST', 'auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await nextTotp(enrolment.secret) }));
    return { token, secret: enrolment.secret };
  }

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { methods: { emailOtp: true } } })]);
    api = restApi(issuer);
  });

  it('step-up with TOTP: a step_up challenge for the token’s user, fresh tokens whose amr holds otp and mfa', async () => {
    const user = await createUser(server, slug);
    const { token, secret } = await withTotp(user);
    await api.expectError(api.call('GET', 'auth/2fa/challenge?method=totp', null), 401, 'auth.invalid_token');
    await api.expectError(api.call('GET', 'auth/2fa/challenge?method=email', token), 400, 'request.invalid');
    await api.expectError(api.call('GET', 'auth/2fa/challenge?method=sms', token), 400, 'mfa.method_unavailable');
    const started = await api.json<StepUp>(api.call('GET', 'auth/2fa/challenge?method=totp', token));
    assert.deepEqual([started.challenge.kind, started.challenge.methods], ['step_up', ['totp']]);
    const { id } = started.challenge;
    // answered only here, by the same user
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'totp', code: '123456' }), 400, 'login.expired');
    const other = await withTotp(await createUser(server, slug));
    await api.expectError(api.call('POST', `auth/2fa/challenge/${id}/verify`, other.token, { code: '123456' }), 400, 'login.expired');
    await api.expectError(api.call('POST', `auth/2fa/challenge/${id}/verify`, token, {}), 400, 'request.invalid');
    await api.expectError(api.call('POST', `auth/2fa/challenge/${id}/verify`, token, { code: '000000' }), 400, 'otp.invalid_code');
    const fresh = await api.json<RestTokens>(api.call('POST', `auth/2fa/challenge/${id}/verify`, token, { code: await nextTotp(secret) }));
    assert.equal(decodeJwt(fresh.access_token).sub, decodeJwt(token).sub);
    assert.ok(amrOf(fresh.access_token).includes('otp') && amrOf(fresh.access_token).includes('mfa'));
    await api.expectError(api.call('POST', `auth/2fa/challenge/${id}/verify`, token, { code: await nextTotp(secret) }), 409, 'login.invalid_state');
  });

  it('step-up with SMS (the code is sent at once) and with WebAuthn (the options come with the challenge)', async () => {
    const user = await createUser(server, slug);
    const token = (await api.json<RestTokens>(api.login(user))).access_token;
    const phone = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(issuer, phone) }));
    const authenticator = createSoftwareAuthenticator(new URL(issuer).origin);
    const reg = await api.json<{ registration_id: string; options: { challenge: string; rp: { id: string }; user: { id: string } } }>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    const registered = await api.json<{ backup_codes: string[] | null }>(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: reg.registration_id, credential: authenticator.register(reg.options) }));
    // not the first factor: no new backup codes
    assert.equal(registered.backup_codes, null);

    const bySms = await api.json<StepUp>(api.call('GET', 'auth/2fa/challenge?method=sms', token));
    assert.ok(bySms.expires_in! > 0);
    const smsTokens = await api.json<RestTokens>(api.call('POST', `auth/2fa/challenge/${bySms.challenge.id}/verify`, token, { method: 'sms', code: await outboxCode(issuer, phone, 2) }));
    assert.ok(amrOf(smsTokens.access_token).includes('sms'));

    const byKey = await api.json<StepUp>(api.call('GET', 'auth/2fa/challenge?method=webauthn', token));
    assert.deepEqual(byKey.challenge.methods, ['webauthn']);
    await api.expectError(api.call('POST', `auth/2fa/challenge/${byKey.challenge.id}/verify`, token, { credential: authenticator.assert({ ...byKey.options!, challenge: Buffer.from('some other challenge value').toString('base64url') }) }), 400, 'webauthn.failed');
    const again = await api.json<StepUp>(api.call('GET', 'auth/2fa/challenge?method=webauthn', token));
    const keyTokens = await api.json<RestTokens>(api.call('POST', `auth/2fa/challenge/${again.challenge.id}/verify`, token, { credential: authenticator.assert(again.options!) }));
    assert.ok(amrOf(keyTokens.access_token).includes('hwk') && amrOf(keyTokens.access_token).includes('mfa'));
  });

  it('enrol_mfa: the challenge (the REST API’s or the OTP API’s) is answered by enrolling TOTP, SMS or a passkey with its id; tokens come with the factor', async () => {
    const strict = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', strict.slug, '--set', JSON.stringify({ headless: { restApi: true }, mfa: { policy: 'required', graceDays: 0 } })]);
    const strictApi = restApi(strict.issuer);
    const enrol = async () => {
      const user = await createUser(server, strict.slug);
      const envelope = await strictApi.json<RestEnvelope>(strictApi.login(user));
      assert.deepEqual([envelope.challenge.kind, envelope.challenge.methods], ['enrol_mfa', ['totp', 'webauthn', 'sms']]);
      return envelope.challenge.id;
    };

    const totpChallenge = await enrol();
    await strictApi.expectError(strictApi.call('POST', 'auth/2fa/totp/setup', null, { challenge_id: 'AAAAAAAAAAAAAAAAAAAAAA' }), 400, 'login.expired');
    await strictApi.expectError(strictApi.call('POST', 'auth/2fa/totp/setup', null, { challenge_id: 7 }), 400, 'request.invalid');
    const setup = await strictApi.json<Enrolment>(strictApi.call('POST', 'auth/2fa/totp/setup', null, { challenge_id: totpChallenge }));
    const done = await strictApi.json<RestTokens & { enabled: boolean; backup_codes: string[] }>(strictApi.call('POST', 'auth/2fa/totp/verify', null, { challenge_id: totpChallenge, factor_id: setup.factor_id, code: await nextTotp(setup.secret) }));
    assert.equal(done.backup_codes.length, 10);
    assert.ok(amrOf(done.access_token).includes('mfa'));
    await strictApi.expectError(strictApi.call('POST', 'auth/2fa/totp/setup', null, { challenge_id: totpChallenge }), 409, 'login.invalid_state');

    const smsChallenge = await enrol();
    const phone = randomMobile('GB');
    const sms = await strictApi.json<{ factor_id: string }>(strictApi.call('POST', 'auth/2fa/sms/setup', null, { challenge_id: smsChallenge, phone }), 202);
    const smsDone = await strictApi.json<RestTokens>(strictApi.call('POST', 'auth/2fa/sms/verify', null, { challenge_id: smsChallenge, factor_id: sms.factor_id, code: await outboxCode(strict.issuer, phone) }));
    assert.ok(amrOf(smsDone.access_token).includes('sms'));

    const keyChallenge = await enrol();
    const authenticator = createSoftwareAuthenticator(new URL(strict.issuer).origin);
    const reg = await strictApi.json<{ registration_id: string; options: { challenge: string; rp: { id: string }; user: { id: string } } }>(strictApi.call('POST', 'auth/2fa/webauthn/register', null, { challenge_id: keyChallenge }));
    const keyDone = await strictApi.json<RestTokens & { factor_id: string }>(strictApi.call('POST', 'auth/2fa/webauthn/register/finish', null, { challenge_id: keyChallenge, registration_id: reg.registration_id, credential: authenticator.register(reg.options) }));
    assert.ok(keyDone.factor_id && amrOf(keyDone.access_token).includes('hwk'));

    // the backend OTP API's enrol_mfa challenge is answered here too, with the same app's credentials
    await cliJson(server, ['tenant', 'settings', '--tenant', strict.slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } } })]);
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', strict.slug, '--name', 'Backend', '--slug', 'strict-backend']);
    const creds = { app_id: app.app_id, app_secret: app.app_secret };
    const post = (path: string, body: unknown) => fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const otpUser = await createUser(server, strict.slug);
    const sent = await strictApi.json<{ otp_request_id: string }>(post('send-otp', { ...creds, email: otpUser.email }));
    const envelope = await strictApi.json<RestEnvelope>(post('verify-otp', { ...creds, otp_request_id: sent.otp_request_id, otp: await outboxCode(strict.issuer, otpUser.email) }));
    assert.equal(envelope.challenge.kind, 'enrol_mfa');
    const asApp = { challenge_id: envelope.challenge.id, client_id: app.app_id, client_secret: app.app_secret };
    // only the app that started it
    await strictApi.expectError(strictApi.call('POST', 'auth/2fa/totp/setup', null, { challenge_id: envelope.challenge.id }), 400, 'login.expired');
    const otpSetup = await strictApi.json<Enrolment>(strictApi.call('POST', 'auth/2fa/totp/setup', null, asApp));
    const otpDone = await strictApi.json<RestTokens>(strictApi.call('POST', 'auth/2fa/totp/verify', null, { ...asApp, factor_id: otpSetup.factor_id, code: await nextTotp(otpSetup.secret) }));
    assert.equal(decodeJwt(otpDone.access_token).aud, 'strict-backend');
  });

  it('policy and compliance: tenant admins only (the tenant role admin); the grace period, then overdue', async () => {
    const acme = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', acme.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    const acmeApi = restApi(acme.issuer);
    const member = await createUser(server, acme.slug);
    const admin = await createUser(server, acme.slug);
    await cliJson(server, ['role', 'assign', '--tenant', acme.slug, '--user', admin.id, '--role', 'admin']);
    const memberToken = (await acmeApi.json<RestTokens>(acmeApi.login(member))).access_token;
    const adminToken = (await acmeApi.json<RestTokens>(acmeApi.login(admin))).access_token;

    await acmeApi.expectError(acmeApi.call('GET', 'auth/2fa/policy', memberToken), 403, 'auth.forbidden');
    await acmeApi.expectError(acmeApi.call('PUT', 'auth/2fa/policy', memberToken, { required: true }), 403, 'auth.forbidden');
    await acmeApi.expectError(acmeApi.call('GET', 'auth/2fa/compliance', memberToken), 403, 'auth.forbidden');
    await acmeApi.expectError(acmeApi.call('GET', 'auth/2fa/policy', null), 401, 'auth.invalid_token');

    const before = await acmeApi.json<{ required: boolean; allowed_methods: string[]; grace_period_days: number }>(acmeApi.call('GET', 'auth/2fa/policy', adminToken));
    assert.deepEqual(before, { required: false, policy: 'optional', allowed_methods: ['totp', 'webauthn', 'sms', 'email'], grace_period_days: 7, required_since: null });
    await acmeApi.expectError(acmeApi.call('PUT', 'auth/2fa/policy', adminToken, { required: 'yes' }), 400, 'request.invalid');
    await acmeApi.expectError(acmeApi.call('PUT', 'auth/2fa/policy', adminToken, { allowed_methods: ['carrier-pigeon'] }), 400, 'request.invalid');
    await acmeApi.expectError(acmeApi.call('PUT', 'auth/2fa/policy', adminToken, { grace_period_days: 400 }), 400, 'request.invalid');
    const after = await acmeApi.json<{ required: boolean; allowed_methods: string[]; grace_period_days: number; required_since: string }>(acmeApi.call('PUT', 'auth/2fa/policy', adminToken, { required: true, allowed_methods: ['totp', 'webauthn'], grace_period_days: 3 }));
    assert.deepEqual([after.required, after.allowed_methods, after.grace_period_days], [true, ['totp', 'webauthn'], 3]);
    assert.ok(Date.parse(after.required_since) <= Date.now());

    // one of the two users enrols an authenticator app (inside the grace period the login still answers tokens)
    const token = (await acmeApi.json<RestTokens>(acmeApi.login(member))).access_token;
    const enrolment = await acmeApi.json<Enrolment>(acmeApi.call('POST', 'auth/2fa/totp/setup', token, {}));
    await acmeApi.json(acmeApi.call('POST', 'auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await nextTotp(enrolment.secret) }));
    const inGrace = await acmeApi.json<Record<string, unknown>>(acmeApi.call('GET', 'auth/2fa/compliance', adminToken));
    assert.deepEqual({ ...inGrace, grace_ends_at: undefined }, { policy: 'required', total_users: 2, enrolled: 1, not_enrolled: 1, in_grace: 1, overdue: 0, grace_ends_at: undefined, by_method: { totp: 1, sms: 0, webauthn: 0 } });
    await letTimePass(server, 4 * DAY);
    const late = await acmeApi.json<{ in_grace: number; overdue: number }>(acmeApi.call('GET', 'auth/2fa/compliance', adminToken));
    assert.deepEqual([late.in_grace, late.overdue], [0, 1]);
  });

  it('the backend OTP API resolves verify-otp’s challenge envelope at /auth/challenge/{id}/send and /verify', async () => {
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Backend', '--slug', 'backend-app']);
    const creds = { app_id: app.app_id, app_secret: app.app_secret };
    const post = (path: string, body: unknown) => fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const user = await createUser(server, slug);
    const token = (await api.json<RestTokens>(api.login(user))).access_token;
    const phone = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(issuer, phone) }));

    const sent = await api.json<{ otp_request_id: string }>(post('send-otp', { ...creds, email: user.email }));
    const envelope = await api.json<RestEnvelope>(post('verify-otp', { ...creds, otp_request_id: sent.otp_request_id, otp: await outboxCode(issuer, user.email) }));
    assert.deepEqual([envelope.challenge.kind, envelope.challenge.methods], ['mfa', ['sms', 'recovery_code']]);
    const { id } = envelope.challenge;
    await api.expectError(post(`challenge/${id}/send`, { app_id: app.app_id, app_secret: 'wrong', method: 'sms' }), 401, 'app.invalid_credentials');
    // the REST API does not answer another front door's transaction
    await api.expectError(api.call('POST', `auth/challenge/${id}/send`, null, { method: 'sms' }), 400, 'login.expired');
    await api.expectError(post(`challenge/${id}/webauthn/options`, creds), 409, 'login.invalid_state');
    assert.equal((await api.json<{ status: string }>(post(`challenge/${id}/send`, { ...creds, method: 'sms' }), 202)).status, 'code_sent');
    await api.expectError(post(`challenge/${id}/verify`, { ...creds, method: 'sms', code: '00000000' }), 400, 'otp.invalid_code');
    const tokens = await api.json<{ access_token: string; user: { id: string } }>(post(`challenge/${id}/verify`, { ...creds, method: 'sms', code: await outboxCode(issuer, phone, 2) }));
    assert.equal(tokens.user.id, user.id);
    assert.ok(amrOf(tokens.access_token).includes('sms'));
  });
});
