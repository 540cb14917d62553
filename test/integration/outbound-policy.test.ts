// SSRF from tenant settings (issue #13, finding 4), with OUTBOUND_POLICY=public-https as production forces it:
// SMS, WhatsApp, SMTP and upstream URLs must be https and may not name a private or loopback address (400 when
// saved); a name that only DNS knows to be local is refused when connecting, before any byte reaches the
// listener; and the tenant's audit log says only that delivery failed, not why (no refused/timeout/status).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createTenant } from '../support/fixtures.js';
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
    assert.doesNotMatch(JSON.stringify(event), new RegExp(`${hostname()}|${port}|blocked|refused|timeout|ECONN`, 'i'));
    assert.equal(connections, 0, 'nothing reached the local service');
  });
});
