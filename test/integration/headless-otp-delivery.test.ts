// Codes by WhatsApp and by SMS with provider failover through the JSON APIs (issue #16 §2–3): the backend OTP API's
// send-otp and the REST API's /v1/auth/otp deliver through the same providers as the hosted pages, played by stand-ins
// that speak the vendors' documented APIs (test/support/vendors): WhatsApp's authentication template, Twilio failing
// so that MSG91 delivers, and a number not on WhatsApp falling back to SMS. The code a vendor received signs in, with
// the amr of the channel that really delivered it (RFC 8176: `otp` for WhatsApp, `sms` for a text message).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson } from '../support/fixtures.js';
import { codeFrom, createPhoneTenant, deliveryEvent, auditEvents, randomMobile, startVendors, vendorSettings, type PhoneTenant, type Vendors } from '../support/phone-flows.js';
import { restApi, type RestTokens } from '../support/rest-api.js';
import { useTessera } from '../support/use-tessera.js';

interface App { app_id: string; app_secret: string }
interface OtpTokens { access_token: string; refresh_token: string; user: { id: string; phone: string | null; created: boolean } }

describe('codes by WhatsApp and SMS failover through the backend OTP API and the REST API', () => {
  const server = useTessera();
  let vendors: Vendors;
  let tenant: PhoneTenant;
  let app: App;
  let rest: ReturnType<typeof restApi>;

  before(async () => {
    vendors = await startVendors();
    tenant = await createPhoneTenant(server, {
      signIn: { methods: { smsOtp: true, whatsappOtp: true }, signUp: true },
      headless: { restApi: true },
      messaging: {
        whatsapp: vendorSettings.whatsapp(vendors),
        sms: { routes: { default: ['twilio', 'msg91'] }, timeoutMs: 1000, twilio: vendorSettings.twilioMessaging(vendors), msg91: vendorSettings.msg91(vendors) },
      },
    });
    app = await cliJson<App>(server, ['app', 'create', '--tenant', tenant.slug, '--name', 'Phones', '--slug', 'phones-app']);
    rest = restApi(tenant.issuer);
  });
  after(() => vendors?.close());
  afterEach(() => vendors.assertNoRejections());

  const post = (path: string, body: Record<string, unknown>) =>
    fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, ...body }) });

  /** runs `send` and returns the audit event of the delivery it started (the tests share the tenant) */
  async function deliveryOf(send: () => Promise<unknown>) {
    const seen = (await auditEvents(server, tenant.slug, ['otp.sent', 'otp.delivery_failed'])).length;
    await send();
    return deliveryEvent(server, tenant.slug, seen + 1);
  }

  /** send-otp, then verify-otp with the code `read` finds at a stand-in */
  async function otpApiSignIn(phone: string, channel: 'sms' | 'whatsapp', read: () => Promise<string>): Promise<{ sent: { channel: string }; tokens: OtpTokens }> {
    const answer = await post('send-otp', { phone, channel });
    assert.equal(answer.status, 200, await answer.clone().text());
    const sent = (await answer.json()) as { otp_request_id: string; channel: string };
    const verified = await post('verify-otp', { otp_request_id: sent.otp_request_id, otp: await read() });
    assert.equal(verified.status, 200, await verified.clone().text());
    return { sent, tokens: (await verified.json()) as OtpTokens };
  }

  /** /v1/auth/otp, then /v1/auth/otp/verify with the code `read` finds at a stand-in */
  async function restSignIn(phone: string, channel: 'sms' | 'whatsapp', read: () => Promise<string>): Promise<RestTokens> {
    await rest.json(rest.call('POST', 'auth/otp', null, { phone, channel }), 202);
    return rest.json<RestTokens>(rest.call('POST', 'auth/otp/verify', null, { phone, code: await read() }));
  }

  it('backend OTP API: send-otp by WhatsApp delivers the authentication template; its code signs the number up with amr ["otp"]', async () => {
    const phone = randomMobile('GB');
    const twilioBefore = vendors.twilio.messages.length;
    let result: Awaited<ReturnType<typeof otpApiSignIn>> | undefined;
    const event = await deliveryOf(async () => {
      result = await otpApiSignIn(phone, 'whatsapp', () => codeFrom.whatsapp(vendors, phone));
    });
    assert.equal(result!.sent.channel, 'whatsapp');
    const message = vendors.whatsapp.sent.find((m) => `+${m.to.replace(/^\+/, '')}` === phone)!;
    assert.deepEqual([message.templateName, message.language], ['verification_code', 'en_US']);
    assert.deepEqual([result!.tokens.user.phone, result!.tokens.user.created], [phone, true]);
    assert.deepEqual(decodeJwt(result!.tokens.access_token).amr, ['otp']);
    assert.deepEqual(event.data, { channel: 'whatsapp', requested: 'whatsapp', provider: 'whatsapp', purpose: 'login', attempts: [{ provider: 'whatsapp', ok: true }] });
    assert.equal(vendors.twilio.messages.length, twilioBefore, 'no SMS as well');
  });

  it('backend OTP API: Twilio answers an error, MSG91 delivers, and its code signs in with amr ["sms"]', async () => {
    const phone = randomMobile('GB');
    const since = vendors.msg91.otps.length;
    vendors.twilio.failNext({ status: 503, code: 20503, message: 'Service Unavailable' });
    let result: Awaited<ReturnType<typeof otpApiSignIn>> | undefined;
    const event = await deliveryOf(async () => {
      result = await otpApiSignIn(phone, 'sms', () => codeFrom.msg91(vendors, phone, since));
    });
    assert.equal(result!.tokens.user.phone, phone);
    assert.deepEqual(decodeJwt(result!.tokens.access_token).amr, ['sms']);
    assert.deepEqual(event.data, {
      channel: 'sms', requested: 'sms', provider: 'msg91', purpose: 'login',
      attempts: [{ provider: 'twilio', ok: false, code: 20503 }, { provider: 'msg91', ok: true }],
    });
  });

  it('backend OTP API: a number not on WhatsApp gets the code by SMS instead, and the sign-in is by SMS', async () => {
    const phone = randomMobile('GB');
    const since = vendors.twilio.messages.length;
    vendors.whatsapp.failNext({ status: 400, code: 131026, message: '(#131026) Message Undeliverable.', details: 'Message Undeliverable.' });
    let result: Awaited<ReturnType<typeof otpApiSignIn>> | undefined;
    const event = await deliveryOf(async () => {
      result = await otpApiSignIn(phone, 'whatsapp', () => codeFrom.twilioMessage(vendors, phone, since));
    });
    assert.deepEqual(decodeJwt(result!.tokens.access_token).amr, ['sms'], 'the code went by SMS (RFC 8176)');
    assert.deepEqual(event.data, {
      channel: 'sms', requested: 'whatsapp', provider: 'twilio', purpose: 'login',
      attempts: [{ provider: 'whatsapp', ok: false, code: 131026 }, { provider: 'twilio', ok: true }],
    });
  });

  it('REST API: /v1/auth/otp by WhatsApp delivers the template and its code signs in with amr ["otp"]', async () => {
    const phone = randomMobile('GB');
    const since = vendors.whatsapp.sent.length;
    let tokens: RestTokens | undefined;
    const event = await deliveryOf(async () => {
      tokens = await restSignIn(phone, 'whatsapp', () => codeFrom.whatsapp(vendors, phone, since));
    });
    const who = await rest.json<{ user: { phone: string }; amr: string[] }>(rest.call('GET', 'whoami', tokens!.access_token));
    assert.deepEqual([who.user.phone, who.amr], [phone, ['otp']]);
    assert.deepEqual(event.data, { channel: 'whatsapp', requested: 'whatsapp', provider: 'whatsapp', purpose: 'login', attempts: [{ provider: 'whatsapp', ok: true }] });
  });

  it('REST API: Twilio does not answer within sms.timeoutMs, MSG91 delivers, and its code signs in with amr ["sms"]', async () => {
    const phone = randomMobile('GB');
    const since = vendors.msg91.otps.length;
    vendors.twilio.hang();
    let tokens: RestTokens | undefined;
    const event = await deliveryOf(async () => {
      tokens = await restSignIn(phone, 'sms', () => codeFrom.msg91(vendors, phone, since));
    });
    const who = await rest.json<{ user: { phone: string }; amr: string[] }>(rest.call('GET', 'whoami', tokens!.access_token));
    assert.deepEqual([who.user.phone, who.amr], [phone, ['sms']]);
    assert.equal(event.data.provider, 'msg91');
    assert.deepEqual((event.data.attempts as Array<{ provider: string; ok: boolean }>).map((a) => [a.provider, a.ok]), [['twilio', false], ['msg91', true]]);
  });
});
