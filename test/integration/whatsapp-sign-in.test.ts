// Signing in with a code sent on WhatsApp (Meta Cloud API, played by its stand-in, which refuses a template
// payload that does not carry the code twice: body parameter and copy-code button). A number that is not on
// WhatsApp (131026) or a failed send falls back to SMS when the tenant allows it (the default); with the fallback
// switched off nothing is delivered, the failure is recorded, and the page answers as usual.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import {
  asCodePage, auditEvents, codeFrom, createPhoneTenant, deliveryEvent, enterCode, openPhonePage, phoneSignIn, randomMobile,
  sentCounts, startVendors, submitPhone, vendorSettings, type PhoneTenant, type Vendors,
} from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';
import type { WhatsAppFailure } from '../support/vendors/whatsapp-stand-in.js';

describe('WhatsApp sign-in on the hosted pages', () => {
  const server = useTessera();
  let vendors: Vendors;
  before(async () => {
    vendors = await startVendors();
  });
  after(() => vendors?.close());
  afterEach(() => vendors.assertNoRejections());

  const settings = (v: Vendors, signIn: Record<string, unknown> = {}) => ({
    signIn: { methods: { smsOtp: true, whatsappOtp: true }, signUp: true, ...signIn },
    messaging: { whatsapp: vendorSettings.whatsapp(v), sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(v) } },
  });

  describe('with the SMS fallback (default)', () => {
    let tenant: PhoneTenant;
    before(async () => {
      tenant = await createPhoneTenant(server, settings(vendors));
    });

    /** runs `send` and returns the audit event of the delivery it started (tests here share the tenant) */
    async function deliveryOf(send: () => Promise<unknown>) {
      const seen = (await auditEvents(server, tenant.slug, ['otp.sent', 'otp.delivery_failed'])).length;
      await send();
      return deliveryEvent(server, tenant.slug, seen + 1);
    }

    it('offers both buttons, delivers the code in the authentication template, and signs up then in with amr ["otp"]', async () => {
      const { page } = await openPhonePage(new Browser(), tenant.config);
      assert.match(page.html, /<button type="submit" name="channel" value="sms" class="button button-primary">Text me a code<\/button>/);
      assert.match(page.html, /<button type="submit" name="channel" value="whatsapp" class="button button-secondary">Send the code on WhatsApp<\/button>/);

      const phone = randomMobile('GB');
      const twilioBefore = vendors.twilio.messages.length;
      let first: Awaited<ReturnType<typeof phoneSignIn>> | undefined;
      const event = await deliveryOf(async () => {
        first = await phoneSignIn(tenant.config, phone, () => codeFrom.whatsapp(vendors, phone), { channel: 'whatsapp' });
      });
      const sent = vendors.whatsapp.sent.find((m) => m.to.replace(/^\+/, '') === phone.slice(1))!;
      assert.deepEqual([sent.templateName, sent.language], ['verification_code', 'en_US']);
      assert.match(sent.code, /^\d{6}$/);
      assert.deepEqual(first!.claims.amr, ['otp']);
      assert.equal(first!.userinfo.phone_number, phone);
      assert.equal(first!.userinfo.phone_number_verified, true);
      assert.deepEqual(event.data, { channel: 'whatsapp', requested: 'whatsapp', provider: 'whatsapp', purpose: 'login', attempts: [{ provider: 'whatsapp', ok: true }] });
      assert.equal(vendors.twilio.messages.length, twilioBefore, 'no SMS as well');

      const since = vendors.whatsapp.sent.length;
      const again = await phoneSignIn(tenant.config, phone, () => codeFrom.whatsapp(vendors, phone, since), { channel: 'whatsapp' });
      assert.equal(again.claims.sub, first!.claims.sub, 'the returning number is the same account');
      assert.deepEqual(again.claims.amr, ['otp']);
      const signups = await auditEvents(server, tenant.slug, ['signup.completed']);
      assert.deepEqual(signups.map((e) => [e.subject, e.data.method]), [[first!.claims.sub, 'whatsapp']]);
    });

    const failures: Array<[string, WhatsAppFailure]> = [
      ['not on WhatsApp (131026)', { status: 400, code: 131026, message: '(#131026) Message Undeliverable.', details: 'Message Undeliverable.' }],
      ['a failed send (131000)', { status: 500, code: 131000, message: '(#131000) Something went wrong' }],
    ];
    for (const [what, failure] of failures) {
      it(`${what}: the code goes by SMS instead and signs in, with amr ["sms"]`, async () => {
        const phone = randomMobile('GB');
        const since = vendors.twilio.messages.length;
        const whatsappBefore = vendors.whatsapp.sent.length;
        vendors.whatsapp.failNext(failure);
        let signedIn: Awaited<ReturnType<typeof phoneSignIn>> | undefined;
        const event = await deliveryOf(async () => {
          signedIn = await phoneSignIn(tenant.config, phone, () => codeFrom.twilioMessage(vendors, phone, since), { channel: 'whatsapp' });
        });
        assert.equal(signedIn!.userinfo.phone_number, phone);
        assert.deepEqual(signedIn!.claims.amr, ['sms'], 'the code went by SMS, so the sign-in was by SMS (RFC 8176)');
        assert.equal(vendors.whatsapp.sent.length, whatsappBefore, 'WhatsApp delivered nothing');
        assert.deepEqual(event.data, {
          channel: 'sms', requested: 'whatsapp', provider: 'twilio', purpose: 'login',
          attempts: [{ provider: 'whatsapp', ok: false, code: failure.code }, { provider: 'twilio', ok: true }],
        });
      });
    }
  });

  it('without the SMS fallback, a number not on WhatsApp gets nothing; the failure is recorded, the page is the usual one', async () => {
    const tenant = await createPhoneTenant(server, settings(vendors, { whatsappSmsFallback: false }));
    const delivered = randomMobile('GB');
    const browserA = new Browser();
    const normal = asCodePage(await submitPhone(browserA, (await openPhonePage(browserA, tenant.config)).page, delivered, 'whatsapp'));
    await deliveryEvent(server, tenant.slug, 1);

    const phone = randomMobile('GB');
    const before = sentCounts(vendors);
    vendors.whatsapp.failNext({ status: 400, code: 131026, message: '(#131026) Message Undeliverable.', details: 'Message Undeliverable.' });
    const browser = new Browser();
    const codePage = asCodePage(await submitPhone(browser, (await openPhonePage(browser, tenant.config)).page, phone, 'whatsapp'));
    const masked = (html: string, number: string) => visibleText(html).replace(number.slice(-4), '••••');
    assert.equal(masked(codePage.html, phone), masked(normal.html, delivered), 'the same page as for a delivered code');
    assert.match(visibleText(codePage.html), /we sent a code on WhatsApp or by text message to/);

    const event = await deliveryEvent(server, tenant.slug, 2);
    assert.equal(event.type, 'otp.delivery_failed');
    assert.deepEqual(event.data, { channel: 'whatsapp', purpose: 'login', reason: 'ProviderError', attempts: [{ provider: 'whatsapp', ok: false, code: 131026 }] });
    assert.deepEqual(sentCounts(vendors), before, 'no SMS, no WhatsApp message');

    const wrong = asPage(await enterCode(browser, codePage, '123456'), 'the code page again');
    assert.equal(wrong.status, 400);
    assert.match(visibleText(wrong.html), /That code is not right\./);
  });
});
