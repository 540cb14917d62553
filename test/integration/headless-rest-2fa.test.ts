// The REST auth API's 2FA surface (issue #16 §3) over HTTP: status, TOTP setup (secret, otpauth URI, QR PNG) and
// verify (backup codes once), then the next login answers the challenge envelope. Errors: a wrong code, a bad
// factor id, a missing token.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { mfaPage, totpCode } from '../support/mfa-flows.js';
import { Browser } from '../support/browser.js';
import { asPage, isLoginPage } from '../support/hosted-pages.js';
import { auditEvents } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';
import { expectError } from '../support/json-answers.js';

interface Status { enabled: boolean; policy: string; methods: { totp: { id: string }[]; passkeys: number }; backup_codes_left: number }

describe('REST auth API 2FA: status, TOTP setup and verify, backup codes, trusted devices, removal', () => {
  const server = useTessera();
  let issuer: string;

  const call = (path: string, token: string | null, body?: unknown) =>
    fetch(`${issuer}/v1/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  let slug: string;
  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
  });

  it('sets up an authenticator app; backup codes come once; the next login asks for the code', async () => {
    const user = await createUser(server, (new URL(issuer)).pathname.split('/')[2]!);
    const login = async () => (await (await call('auth/login', null, { email: user.email, password: user.password })).json()) as Record<string, unknown>;
    const token = (await login()).access_token as string;
    assert.ok(token);

    const before = (await (await call('auth/2fa/status', token)).json()) as Status;
    assert.deepEqual([before.enabled, before.methods.totp.length, before.backup_codes_left], [false, 0, 0]);

    const setup = await call('auth/2fa/totp/setup', token, {});
    assert.equal(setup.status, 200, await setup.clone().text());
    const enrolment = (await setup.json()) as { factor_id: string; secret: string; otpauth_uri: string; qr_png: string };
    assert.match(enrolment.otpauth_uri, /^otpauth:\/\/totp\//);
    assert.match(enrolment.qr_png, /^data:image\/png;base64,/);
    await expectError(await call('auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: '000000' }), 400, 'otp.invalid_code');
    await expectError(await call('auth/2fa/totp/verify', token, { factor_id: 'not-an-id', code: '000000' }), 400, 'request.invalid');
    const verified = await call('auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await totpCode(enrolment.secret) });
    assert.equal(verified.status, 200, await verified.clone().text());
    const { backup_codes: codes } = (await verified.json()) as { backup_codes: string[] };
    assert.equal(codes.length, 10);

    const after = (await (await call('auth/2fa/status', token)).json()) as Status;
    assert.deepEqual([after.enabled, after.methods.totp.length, after.backup_codes_left], [true, 1, 10]);

    const next = await login();
    assert.equal(next.status, 'challenge_required');
    const { challenge } = next as { challenge: { id: string } };
    const done = await call(`auth/challenge/${challenge.id}/verify`, null, { method: 'recovery_code', code: codes[0] });
    assert.equal(done.status, 200, await done.clone().text());
    const fresh = ((await done.json()) as { access_token: string }).access_token;

    // backup codes regenerated: a new set of ten, the old ones stop working
    const regenerated = await call('auth/2fa/backup-codes', fresh, {});
    assert.equal(regenerated.status, 200);
    const newCodes = ((await regenerated.json()) as { backup_codes: string[] }).backup_codes;
    assert.equal(newCodes.length, 10);
    const again = (await login()) as { challenge: { id: string } };
    await expectError(await call(`auth/challenge/${again.challenge.id}/verify`, null, { method: 'recovery_code', code: codes[1] }), 400, 'otp.invalid_code');

    // trusted devices: none remembered by this API; an unknown one is device.not_found
    assert.deepEqual(await (await call('auth/2fa/trusted-devices', fresh)).json(), { devices: [] });
    await expectError(await fetch(`${issuer}/v1/auth/2fa/trusted-devices/00000000-0000-4000-8000-000000000000`, { method: 'DELETE', headers: { authorization: `Bearer ${fresh}` } }), 404, 'device.not_found');

    // removing the method: no second factor any more, login answers tokens again
    await expectError(await fetch(`${issuer}/v1/auth/2fa/method/phone`, { method: 'DELETE', headers: { authorization: `Bearer ${fresh}` } }), 400, 'request.invalid');
    const removed = await fetch(`${issuer}/v1/auth/2fa/method/totp`, { method: 'DELETE', headers: { authorization: `Bearer ${fresh}` } });
    assert.equal(removed.status, 204);
    assert.equal(((await (await call('auth/2fa/status', fresh)).json()) as Status).enabled, false);
    assert.ok((await login()).access_token);
    await expectError(await call('auth/2fa/backup-codes', fresh, {}), 400, 'mfa.method_unavailable');
  });

  it('needs a Bearer token', async () => {
    await expectError(await call('auth/2fa/status', null), 401, 'auth.invalid_token');
    await expectError(await call('auth/2fa/totp/setup', null, {}), 401, 'auth.invalid_token');
  });
  it('a browser remembered on the hosted second-factor page is listed over REST and deleted there, by its user only', async () => {
    const user = await createUser(server, slug);
    const login = async () => (await (await call('auth/login', null, { email: user.email, password: user.password })).json()) as Record<string, unknown>;
    const token = (await login()).access_token as string;
    const enrolment = (await (await call('auth/2fa/totp/setup', token, {})).json()) as { factor_id: string; secret: string };
    const { backup_codes: codes } = (await (await call('auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await totpCode(enrolment.secret) })).json()) as { backup_codes: string[] };

    // the hosted pages: password, then the TOTP page with "remember this browser" ticked
    const signIn = async (browser: Browser) => {
      const out = asPage(await browser.navigate(`${server.url}/t/${slug}/account/sign-in`), 'the login page');
      assert.ok(isLoginPage(out), out.html.slice(0, 300));
      return browser.submit(out, '/login', { email: user.email, password: user.password });
    };
    const browser = new Browser();
    const remembered = asPage(await browser.submit(mfaPage(await signIn(browser)), '/mfa/totp', { code: await totpCode(enrolment.secret, Date.now() + 30_000), remember: 'on' }), 'the account page');
    assert.equal(remembered.url.pathname, `/t/${slug}/account`);
    assert.ok(browser.cookieNames(`${server.url}/t/${slug}/`).includes('tessera_td'), 'the browser holds its trusted-device cookie');

    const challenge = (await login()) as { challenge: { id: string } };
    const fresh = ((await (await call(`auth/challenge/${challenge.challenge.id}/verify`, null, { method: 'recovery_code', code: codes[0] })).json()) as { access_token: string }).access_token;
    const listed = (await (await call('auth/2fa/trusted-devices', fresh)).json()) as { devices: Array<{ id: string; device: string; ip: string | null; created_at: string; expires_at: string }> };
    assert.equal(listed.devices.length, 1, JSON.stringify(listed));
    const [device] = listed.devices;
    assert.ok(device!.device.length > 0);
    assert.ok(Date.parse(device!.expires_at) > Date.now() && Date.parse(device!.created_at) <= Date.now());
    // another user cannot delete it
    const other = await createUser(server, slug);
    const otherToken = ((await (await call('auth/login', null, { email: other.email, password: other.password })).json()) as { access_token: string }).access_token;
    await expectError(await fetch(`${issuer}/v1/auth/2fa/trusted-devices/${device!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${otherToken}` } }), 404, 'device.not_found');

    const deleted = await fetch(`${issuer}/v1/auth/2fa/trusted-devices/${device!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${fresh}` } });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await (await call('auth/2fa/trusted-devices', fresh)).json(), { devices: [] });
    await expectError(await fetch(`${issuer}/v1/auth/2fa/trusted-devices/${device!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${fresh}` } }), 404, 'device.not_found');
    assert.ok((await auditEvents(server.env.DATABASE_URL!, slug)).some((e) => e.type === 'mfa.device_revoked' && e.subject === user.id));
  });
});
