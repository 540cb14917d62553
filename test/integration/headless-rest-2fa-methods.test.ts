// The REST auth API's SMS and WebAuthn second factors (issue #16 §3) over HTTP: SMS setup and verify (the sandbox
// outbox stands in for the SMS vendor), WebAuthn registration (a software authenticator answers as a browser would;
// the registration expires after five minutes), passkey sign-in as the first factor, login challenges answered by
// an SMS code (send, then verify) and by a passkey (options, then verify) with the right `amr` in the access token,
// the envelope listing exactly the user's methods, and removing each method; the hosted sign-in asks for an SMS factor
// set up here. Every documented error is provoked.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { mfaPage, passwordStep } from '../support/mfa-flows.js';
import { asCodePage, enterCode, exchange, randomMobile } from '../support/phone-flows.js';
import { discover } from '../support/relying-party.js';
import { outboxCode, restApi, type RestEnvelope, type RestTokens } from '../support/rest-api.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { letTimePass } from '../support/test-clock.js';
import { useTessera } from '../support/use-tessera.js';

interface Enabled { enabled: true; factor_id?: string; backup_codes: string[] | null }

describe('REST auth API 2FA: SMS and WebAuthn factors, login challenges, passkey sign-in', () => {
  const server = useTessera({}, { movableClock: true });
  let slug: string;
  let issuer: string;
  let api: ReturnType<typeof restApi>;

  const signedIn = async (user: { email: string; password: string }) => (await api.json<RestTokens>(api.login(user))).access_token;

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { methods: { passkey: true } } })]);
    api = restApi(issuer);
  });

  it('SMS: setup sends a code, verify enables it (backup codes once), the login challenge is answered by send + verify', async () => {
    const user = await createUser(server, slug);
    const token = await signedIn(user);
    const phone = randomMobile('GB');

    await api.expectError(api.call('POST', 'auth/2fa/sms/setup', token, {}), 400, 'request.invalid');
    await api.expectError(api.call('POST', 'auth/2fa/sms/setup', token, { phone: 'not a phone' }), 400, 'user.invalid_phone');
    await api.expectError(api.call('POST', 'auth/2fa/sms/setup', null, { phone }), 401, 'auth.invalid_token');
    const setup = await api.json<{ factor_id: string; status: string; expires_in: number; to: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    assert.equal(setup.status, 'code_sent');
    assert.ok(setup.expires_in > 0);
    assert.ok(setup.to.endsWith(phone.slice(-4)) && !setup.to.includes(phone.slice(3, -4)));
    const code = await outboxCode(issuer, phone);
    await api.expectError(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: code === '000000' ? '111111' : '000000' }), 400, 'otp.invalid_code');
    await api.expectError(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: 'unknown', code }), 400, 'otp.expired');
    await api.expectError(api.call('POST', 'auth/2fa/sms/verify', token, { code }), 400, 'request.invalid');
    const enabled = await api.json<Enabled>(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code }));
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.backup_codes?.length, 10);
    // used once
    await api.expectError(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code }), 400, 'otp.expired');

    const status = await api.json<{ enabled: boolean; methods: { sms: { phone: string } | null } }>(api.call('GET', 'auth/2fa/status', token));
    assert.equal(status.enabled, true);
    assert.equal(status.methods.sms?.phone, setup.to);
    // operators see that the factor exists, not the number
    const listed = await cliJson<{ sms: { id: string } | null }>(server, ['user', 'factors', '--tenant', slug, '--id', user.id]);
    assert.ok(listed.sms?.id);
    assert.ok(!JSON.stringify(listed).includes(phone.slice(-6)));

    const envelope = await api.json<RestEnvelope>(api.login(user));
    assert.equal(envelope.status, 'challenge_required');
    assert.deepEqual([envelope.challenge.kind, envelope.challenge.methods], ['mfa', ['sms', 'recovery_code']]);
    const { id } = envelope.challenge;
    // nothing sent yet: no code can be right
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'sms', code: '123456' }), 400, 'otp.expired');
    await api.expectError(api.call('POST', `auth/challenge/${id}/send`, null, { method: 'totp' }), 400, 'request.invalid');
    await api.expectError(api.call('POST', `auth/challenge/${id}/webauthn/options`, null, {}), 409, 'login.invalid_state');
    await api.expectError(api.call('POST', 'auth/challenge/AAAAAAAAAAAAAAAAAAAAAA/send', null, { method: 'sms' }), 400, 'login.expired');
    const sent = await api.json<{ status: string; expires_in: number }>(api.call('POST', `auth/challenge/${id}/send`, null, { method: 'sms' }), 202);
    assert.equal(sent.status, 'code_sent');
    const loginCode = await outboxCode(issuer, phone, 2);
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'totp', code: '123456' }), 409, 'login.invalid_state');
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'sms' }), 400, 'request.invalid');
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'sms', code: loginCode === '000000' ? '111111' : '000000' }), 400, 'otp.invalid_code');
    const tokens = await api.json<RestTokens>(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'sms', code: loginCode }));
    const amr = decodeJwt(tokens.access_token).amr as string[];
    assert.ok(amr.includes('pwd') && amr.includes('sms') && amr.includes('mfa'), String(amr));
    // the amr survives a refresh
    const refreshed = await api.json<RestTokens>(api.call('POST', 'auth/refresh', null, { refresh_token: tokens.refresh_token }));
    assert.ok((decodeJwt(refreshed.access_token).amr as string[]).includes('sms'));

    // removed: the next login answers tokens (the backup codes stand beside a factor only)
    const removed = await api.call('DELETE', 'auth/2fa/method/sms', tokens.access_token);
    assert.equal(removed.status, 204);
    assert.ok((await api.json<RestTokens>(api.login(user))).access_token);
    await api.expectError(api.call('POST', 'auth/2fa/backup-codes', tokens.access_token, {}), 400, 'mfa.method_unavailable');
  });

  it('the hosted sign-in asks for an SMS factor set up over the API and sends its code to that number', async () => {
    const user = await createUser(server, slug);
    const token = await signedIn(user);
    const phone = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(issuer, phone) }));
    const client = await createClient(server, slug, ['--first-party']);
    const config = await discover(issuer, client.client_id, client.client_secret!);
    const browser = new Browser();
    const { request, step } = await passwordStep(browser, config, user);
    const challenge = mfaPage(step);
    assert.ok(challenge.html.includes(phone.slice(-4)), challenge.html.slice(0, 800));
    const codePage = asCodePage(await browser.submit(challenge, '/mfa/code/sms', {}));
    const { claims } = await exchange(config, request, await enterCode(browser, codePage, await outboxCode(issuer, phone, 2)));
    assert.deepEqual(claims.amr, ['pwd', 'sms', 'mfa']);
  });

  it('WebAuthn: register a passkey (state expires after five minutes), answer a login challenge with it, remove it', async () => {
    const user = await createUser(server, slug);
    const token = await signedIn(user);
    const authenticator = createSoftwareAuthenticator(new URL(issuer).origin);

    const started = await api.json<{ registration_id: string; options: { challenge: string; rp: { id: string }; user: { id: string } } }>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    assert.equal(started.options.rp.id, new URL(issuer).hostname);
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: started.registration_id, credential: { id: 'x' } }), 400, 'request.invalid');
    // a credential made for another challenge
    const forged = authenticator.register(started.options, { challenge: Buffer.from('another challenge, long enough').toString('base64url') });
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: started.registration_id, credential: forged }), 400, 'webauthn.registration_expired');
    // five minutes later the registration is gone
    const late = await api.json<{ registration_id: string; options: typeof started.options }>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    await letTimePass(server, 301_000);
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: late.registration_id, credential: authenticator.register(late.options) }), 400, 'webauthn.registration_expired');

    const fresh = await api.json<{ registration_id: string; options: typeof started.options }>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    const credential = authenticator.register(fresh.options);
    const enabled = await api.json<Enabled>(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: fresh.registration_id, credential, name: 'Laptop' }));
    assert.ok(enabled.factor_id);
    assert.equal(enabled.backup_codes?.length, 10);
    await api.expectError(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: fresh.registration_id, credential }), 400, 'webauthn.registration_expired');

    const envelope = await api.json<RestEnvelope>(api.login(user));
    assert.deepEqual(envelope.challenge.methods, ['webauthn', 'recovery_code']);
    const { id } = envelope.challenge;
    await api.expectError(api.call('POST', `auth/challenge/${id}/send`, null, { method: 'sms' }), 409, 'login.invalid_state');
    const { options } = await api.json<{ options: { challenge: string; allowCredentials: { id: string }[] } }>(api.call('POST', `auth/challenge/${id}/webauthn/options`, null, {}));
    assert.deepEqual(options.allowCredentials.map((c) => c.id), [credential.id]);
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'webauthn' }), 400, 'request.invalid');
    const wrong = authenticator.assert({ ...options, challenge: Buffer.from('not the challenge that was issued').toString('base64url') });
    await api.expectError(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'webauthn', credential: wrong }), 400, 'webauthn.failed');
    const again = await api.json<{ options: typeof options }>(api.call('POST', `auth/challenge/${id}/webauthn/options`, null, {}));
    const tokens = await api.json<RestTokens>(api.call('POST', `auth/challenge/${id}/verify`, null, { method: 'webauthn', credential: authenticator.assert(again.options) }));
    assert.ok((decodeJwt(tokens.access_token).amr as string[]).includes('hwk'));

    const status = await api.json<{ methods: { webauthn: { id: string; name: string }[] } }>(api.call('GET', 'auth/2fa/status', tokens.access_token));
    assert.deepEqual(status.methods.webauthn.map((k) => k.name), ['Laptop']);
    await api.expectError(api.call('DELETE', 'auth/2fa/method/webauthn:00000000-0000-4000-8000-000000000000', tokens.access_token), 400, 'mfa.method_unavailable');
    await api.expectError(api.call('DELETE', 'auth/2fa/method/email', tokens.access_token), 400, 'request.invalid');
    assert.equal((await api.call('DELETE', `auth/2fa/method/webauthn:${status.methods.webauthn[0]!.id}`, tokens.access_token)).status, 204);
    assert.ok((await api.json<RestTokens>(api.login(user))).access_token);
  });

  it('passkey sign-in as the first factor: options, then the assertion for tokens and the user', async () => {
    const user = await createUser(server, slug);
    const token = await signedIn(user);
    const authenticator = createSoftwareAuthenticator(new URL(issuer).origin);
    const reg = await api.json<{ registration_id: string; options: { challenge: string; rp: { id: string }; user: { id: string } } }>(api.call('POST', 'auth/2fa/webauthn/register', token, {}));
    await api.json(api.call('POST', 'auth/2fa/webauthn/register/finish', token, { registration_id: reg.registration_id, credential: authenticator.register(reg.options) }));

    const started = await api.json<{ request_id: string; options: { challenge: string; allowCredentials?: { id: string }[] } }>(api.call('POST', 'auth/passkey/options', null, {}));
    assert.deepEqual(started.options.allowCredentials ?? [], []);
    await api.expectError(api.call('POST', 'auth/passkey/verify', null, { request_id: started.request_id }), 400, 'request.invalid');
    await api.expectError(api.call('POST', 'auth/passkey/verify', null, { request_id: 'AAAAAAAAAAAAAAAAAAAAAA', credential: authenticator.assert(started.options) }), 400, 'webauthn.failed');
    const next = await api.json<{ request_id: string; options: { challenge: string } }>(api.call('POST', 'auth/passkey/options', null, {}));
    const signedInWithKey = await api.json<RestTokens & { user: { id: string; email: string } }>(api.call('POST', 'auth/passkey/verify', null, { request_id: next.request_id, credential: authenticator.assert(next.options) }));
    assert.equal(signedInWithKey.user.email, user.email);
    // user verification made it two factors in one
    assert.deepEqual((decodeJwt(signedInWithKey.access_token).amr as string[]).sort(), ['hwk', 'mfa']);
    // the same request id twice: its challenge was used
    await api.expectError(api.call('POST', 'auth/passkey/verify', null, { request_id: next.request_id, credential: authenticator.assert(next.options) }), 400, 'webauthn.failed');

    const off = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', off.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    await restApi(off.issuer).expectError(restApi(off.issuer).call('POST', 'auth/passkey/options', null, {}), 400, 'mfa.method_unavailable');
  });
});
