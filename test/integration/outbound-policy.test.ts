// SSRF from tenant settings (issue #13, finding 4), with OUTBOUND_POLICY=public-https as production forces it:
// SMS, WhatsApp, SMTP and upstream URLs must be https and may not name a private or loopback address (400 when
// saved); a name that only DNS knows to be local is refused when connecting, before any byte reaches the
// listener; and the tenant's audit log says only that delivery failed, not why (no refused/timeout/status).
// A client's sector_identifier_uri (pairwise subjects), which anyone with an initial access token may name, is
// fetched through the same gate.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant, redirectUri } from '../support/fixtures.js';
import { clientRefusal } from '../support/protocol-profiles.js';
import { client, operator, type ApiClient } from '../support/management.js';
import { asCodePage, createPhoneTenant, deliveryEvent, openPhonePage, randomMobile, submitPhone } from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';

const twilio = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'tw-token', from: '+15005550006' };

describe('OUTBOUND_POLICY=public-https', () => {
  const server = useTessera({ OUTBOUND_POLICY: 'public-https' });
  let api: ApiClient;
  let listener: Server;
  let port: number;
  let connections = 0;

  before(async () => {
    api = client(server, (await operator(server, ['tenants:read', 'tenants:write', 'audit:read'])).token);
    // a service on this machine that a tenant operator would like to reach
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
    port = (listener.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => listener?.close(() => resolve())));

  it('refuses http, loopback and private URLs when they are saved, naming the setting', async () => {
    const { slug } = await createTenant(server);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ messaging: { sms: { twilio: { ...twilio, baseUrl: 'http://api.twilio.example' } } } }, /messaging\.sms\.twilio\.baseUrl: must use https/],
      [{ messaging: { sms: { twilio: { ...twilio, baseUrl: `https://127.0.0.1:${port}` } } } }, /messaging\.sms\.twilio\.baseUrl: must be a public address/],
      [{ messaging: { sms: { msg91: { authKey: 'k', templateId: 't', baseUrl: 'https://169.254.169.254/latest' } } } }, /messaging\.sms\.msg91\.baseUrl: must be a public address/],
      [{ messaging: { whatsapp: { phoneNumberId: '123456', accessToken: 'a', baseUrl: `https://[::1]:${port}` } } }, /messaging\.whatsapp\.baseUrl: must be a public address/],
      [{ messaging: { email: { smtpUrl: `smtp://user:pw@127.0.0.1:${port}` } } }, /messaging\.email\.smtpUrl: must be a public address/],
      [{ connections: { sso: { type: 'oidc', clientId: 'c', clientSecret: 's', issuer: `https://localhost:${port}` } } }, /connections\.sso\.issuer: must be a public address/],
    ];
    for (const [patch, problem] of cases) {
      const answer = await api.patch(`/tenants/${slug}/settings`, patch);
      assert.equal(answer.status, 400, JSON.stringify(patch));
      assert.equal(answer.body.error, 'tenant.invalid_settings');
      assert.match(answer.body.message, problem);
      assert.doesNotMatch(answer.body.message, /tw-token|user:pw/, 'no credential in the message');
    }
  });

  it('refuses at connect time a name that resolves to this machine; the audit log says only delivery_failed', async () => {
    const local = `https://${hostname()}:${port}`;
    const tenant = await createPhoneTenant(server, {
      signIn: { methods: { smsOtp: true }, signUp: true },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: { ...twilio, baseUrl: local, verifyBaseUrl: local } } },
    });
    const browser = new Browser();
    const { page } = await openPhonePage(browser, tenant.config);
    asCodePage(await submitPhone(browser, page, randomMobile('GB')));

    const event = await deliveryEvent(server, tenant.slug);
    assert.equal(event.type, 'otp.delivery_failed');
    assert.deepEqual(event.data.attempts, [{ provider: 'twilio', ok: false, code: 'delivery_failed' }]);
    // the event as written, but its subject: a random pseudonym, in which a short host name (this machine's is `vm`)
    // turns up by chance; the host name as a whole name, not as letters inside a word
    const { subject: _pseudonym, ...written } = event;
    const host = hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.doesNotMatch(JSON.stringify(written), new RegExp(`(?<![\\w.-])${host}(?![\\w-])|${port}|blocked|refused|timeout|ECONN`, 'i'));
    assert.equal(connections, 0, 'nothing reached the local service');
  });

  it('refuses a sector_identifier_uri on this machine at registration (invalid_client_metadata), sending nothing', async () => {
    const { slug, issuer } = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      protocol: { pairwise: { enabled: true } }, registration: { enabled: true, redirectUris: 'https-or-loopback' },
    })]);
    const sectors = [`https://127.0.0.1:${port}/sector.json`, `https://[::1]:${port}/sector.json`, `https://localhost:${port}/sector.json`, `https://${hostname()}:${port}/sector.json`];
    for (const sector of sectors) {
      const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', slug]);
      const response = await fetch(`${issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ redirect_uris: [redirectUri], subject_type: 'pairwise', sector_identifier_uri: sector }),
      });
      assert.equal(response.status, 400, sector);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_client_metadata', sector);
      assert.match(body.error_description, /sector_identifier_uri/);
      // the operator's door (CLI and Management API share the client service) is held to the same rule
      assert.match(await clientRefusal(server, slug, { subject_type: 'pairwise', sector_identifier_uri: sector }), /sector_identifier_uri/);
    }
    assert.equal(connections, 0, 'nothing reached the local service');
  });
});
