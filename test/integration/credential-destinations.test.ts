// A tenant operator sees stored credentials only as "(set)". Changing where one is sent (an SMS vendor's base URL,
// WhatsApp's, a connection's issuer or type) without entering the credential again is refused with
// `tenant.credential_required`, through the Management API and the CLI alike, and the server never sends the
// stored secret to the new address; entering it again in the same change is accepted. Both are audited, by
// settings path, without any value.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant } from '../support/fixtures.js';
import { client, operator, type ApiClient } from '../support/management.js';
import { auditEvents, createPhoneTenant, openPhonePage, randomMobile, startVendors, submitPhone, vendorSettings, waitFor, type PhoneTenant, type Vendors } from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';

/** an attacker's server: keeps every request it receives */
async function startRecorder() {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers, body });
      response.writeHead(500, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('changing where a stored credential is sent', () => {
  const server = useTessera();
  let vendors: Vendors;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let api: ApiClient;
  let tenant: PhoneTenant;

  before(async () => {
    [vendors, recorder] = await Promise.all([startVendors(), startRecorder()]);
    api = client(server, (await operator(server, ['tenants:read', 'tenants:write', 'audit:read'])).token);
    tenant = await createPhoneTenant(server, {
      signIn: { methods: { smsOtp: true }, signUp: true },
      messaging: {
        sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors), msg91: vendorSettings.msg91(vendors), twoFactor: vendorSettings.twoFactor(vendors) },
        whatsapp: vendorSettings.whatsapp(vendors),
      },
    });
  });
  after(async () => {
    await vendors?.close();
    await recorder?.close();
  });

  /** asks for an SMS code on the hosted pages (the courier sends it in the background) */
  async function requestCode() {
    const browser = new Browser();
    const { page } = await openPhonePage(browser, tenant.config);
    await submitPhone(browser, page, randomMobile('GB'));
  }

  it('refuses a new SMS or WhatsApp base URL without the credential, and the stored one stays where it was', async () => {
    const attempts: Array<[Record<string, unknown>, string, string]> = [
      [{ sms: { twilio: { baseUrl: recorder.url } } }, 'messaging.sms.twilio.baseUrl', 'messaging.sms.twilio.authToken'],
      [{ sms: { twilio: { verifyBaseUrl: recorder.url } } }, 'messaging.sms.twilio.verifyBaseUrl', 'messaging.sms.twilio.authToken'],
      [{ sms: { msg91: { baseUrl: recorder.url } } }, 'messaging.sms.msg91.baseUrl', 'messaging.sms.msg91.authKey'],
      [{ sms: { twoFactor: { baseUrl: recorder.url } } }, 'messaging.sms.twoFactor.baseUrl', 'messaging.sms.twoFactor.apiKey'],
      [{ whatsapp: { baseUrl: recorder.url } }, 'messaging.whatsapp.baseUrl', 'messaging.whatsapp.accessToken'],
    ];
    for (const [messaging, destination, credential] of attempts) {
      const answer = await api.patch(`/tenants/${tenant.slug}/settings`, { messaging });
      assert.equal(answer.status, 400, destination);
      assert.equal(answer.body.error, 'tenant.credential_required');
      assert.ok(answer.body.message.includes(destination) && answer.body.message.includes(credential), answer.body.message);
    }
    const settings = (await api.get(`/tenants/${tenant.slug}/settings`)).body.effective.messaging;
    assert.equal(settings.sms.twilio.baseUrl, vendors.twilio.url);
    assert.equal(settings.whatsapp.baseUrl, vendors.whatsapp.url);

    const sent = vendors.twilio.messages.length;
    await requestCode();
    await waitFor('the code at the real Twilio stand-in', () => (vendors.twilio.messages.length > sent ? true : undefined));
    assert.equal(recorder.seen.length, 0, 'nothing reached the new address');

    const refused = await auditEvents(server, tenant.slug, ['admin.credential_destination_refused']);
    assert.equal(refused.length, attempts.length);
    assert.equal(refused[0]!.outcome, 'failure');
    assert.equal(refused[0]!.actor?.startsWith('client:'), true);
    assert.deepEqual(refused[0]!.data, { credentials: ['messaging.sms.twilio.authToken'], destinations: ['messaging.sms.twilio.baseUrl'] });
  });

  it('refuses the same through the CLI', async () => {
    const result = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ messaging: { sms: { twilio: { baseUrl: recorder.url } } } })]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /messaging\.sms\.twilio\.baseUrl/);
    const cli = await auditEvents(server, tenant.slug, ['admin.credential_destination_refused']);
    assert.equal(cli.at(-1)!.actor, 'cli');
  });

  it('accepts a new base URL with the credential entered again: only the new credential goes there', async () => {
    const answer = await api.patch(`/tenants/${tenant.slug}/settings`, { messaging: { sms: { twilio: { baseUrl: recorder.url, authToken: 'a-new-token' } } } });
    assert.equal(answer.status, 200, answer.text);
    await requestCode();
    const call = await waitFor('the send at the new address', () => recorder.seen[0]);
    const basic = Buffer.from(String(call.headers.authorization).replace(/^Basic /, ''), 'base64').toString();
    assert.equal(basic, `${vendors.twilio.accountSid}:a-new-token`);

    const changed = await auditEvents(server, tenant.slug, ['admin.credential_destination_changed']);
    assert.deepEqual(changed.map((e) => e.data), [{ credential: 'messaging.sms.twilio.authToken', destinations: ['messaging.sms.twilio.baseUrl'] }]);
    const everything = JSON.stringify(await auditEvents(server, tenant.slug));
    for (const secret of ['a-new-token', vendors.twilio.authToken]) assert.ok(!everything.includes(secret), 'no credential in the audit log');
  });

  it('a federated connection: a new issuer or type needs the client secret again', async () => {
    const slug = (await createTenant(server)).slug;
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      connections: { sso: { type: 'oidc', clientId: 'tessera', clientSecret: 'upstream-secret', issuer: 'http://127.0.0.1:9/issuer' } },
    })]);
    for (const change of [{ issuer: recorder.url }, { type: 'google' }]) {
      const answer = await api.patch(`/tenants/${slug}/settings`, { connections: { sso: change } });
      assert.equal(answer.status, 400, JSON.stringify(change));
      assert.equal(answer.body.error, 'tenant.credential_required');
      assert.match(answer.body.message, /connections\.sso\.clientSecret/);
    }
    const unrelated = await api.patch(`/tenants/${slug}/settings`, { connections: { sso: { displayName: 'Acme SSO' } } });
    assert.equal(unrelated.status, 200, 'a change elsewhere needs no credential');
    const moved = await api.patch(`/tenants/${slug}/settings`, { connections: { sso: { issuer: recorder.url, clientSecret: 'entered-again' } } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal((await api.get(`/tenants/${slug}/settings`)).body.effective.connections.sso.issuer, recorder.url);
    const audit = await auditEvents(server, slug, ['admin.credential_destination_refused', 'admin.credential_destination_changed']);
    assert.deepEqual(audit.map((e) => [e.type, e.data]), [
      ['admin.credential_destination_refused', { credentials: ['connections.sso.clientSecret'], destinations: ['connections.sso.issuer'] }],
      ['admin.credential_destination_refused', { credentials: ['connections.sso.clientSecret'], destinations: ['connections.sso.type'] }],
      ['admin.credential_destination_changed', { credential: 'connections.sso.clientSecret', destinations: ['connections.sso.issuer'] }],
    ]);
  });

  it('SMTP: the URL is the credential, so the server can only move together with it', async () => {
    const slug = (await createTenant(server)).slug;
    const set = await api.patch(`/tenants/${slug}/settings`, { messaging: { email: { smtpUrl: 'smtp://mailer:first-pw@127.0.0.1:9' } } });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.stored.messaging.email.smtpUrl, '(set)');
    for (const email of [{ host: recorder.url }, { smtpHost: '127.0.0.1' }, { port: 2525 }]) {
      const answer = await api.patch(`/tenants/${slug}/settings`, { messaging: { email } });
      assert.equal(answer.status, 400, JSON.stringify(email));
      assert.equal(answer.body.error, 'tenant.invalid_settings');
    }
    const moved = await api.patch(`/tenants/${slug}/settings`, { messaging: { email: { smtpUrl: 'smtp://mailer:second-pw@127.0.0.1:10' } } });
    assert.equal(moved.status, 200, moved.text);
    assert.ok(!JSON.stringify(await auditEvents(server, slug)).includes('-pw'), 'no SMTP password in the audit log');
  });
});
