// The SMS provider chain on the hosted pages: when the first provider answers an error or does not answer within
// the tenant's sms.timeoutMs, the next one delivers and the user still signs in; the audit event says what was
// tried and who delivered. When every provider fails the page answers exactly as for a delivered code (delivery
// runs in the background, so the answer reveals nothing) and otp.delivery_failed is recorded. Chains per country
// calling code, and the tenant's daily SMS cap (429 on the page).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import {
  asCodePage, auditEvents, codeFrom, createPhoneTenant, deliveryEvent, enterCode, exchange, openPhonePage, phoneSignIn, randomMobile,
  sentCounts, startVendors, submitPhone, vendorSettings, type PhoneTenant, type Vendors,
} from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';

describe('SMS provider failover', () => {
  const server = useTessera();
  let vendors: Vendors;
  before(async () => {
    vendors = await startVendors();
  });
  after(() => vendors?.close());
  afterEach(() => vendors.assertNoRejections());

  const smsSignIn = { methods: { smsOtp: true }, signUp: true };
  const twilioThenMsg91 = (v: Vendors) => ({
    signIn: smsSignIn,
    messaging: { sms: { routes: { default: ['twilio', 'msg91'] }, timeoutMs: 1000, twilio: vendorSettings.twilioMessaging(v), msg91: vendorSettings.msg91(v) } },
  });

  /** a sign-in whose code MSG91 delivers; returns the audit event of that delivery */
  async function signInThroughMsg91(tenant: PhoneTenant, phone: string) {
    const since = vendors.msg91.otps.length;
    const signedIn = await phoneSignIn(tenant.config, phone, () => codeFrom.msg91(vendors, phone, since));
    assert.deepEqual(signedIn.claims.amr, ['sms']);
    assert.equal(signedIn.userinfo.phone_number, phone);
    assert.equal(vendors.twilio.messages.filter((m) => m.to === phone).length, 0, 'Twilio delivered nothing');
    return deliveryEvent(server, tenant.slug);
  }

  it('Twilio answers an error: MSG91 delivers, the user signs in, the audit says who tried and who delivered', async () => {
    const tenant = await createPhoneTenant(server, twilioThenMsg91(vendors));
    vendors.twilio.failNext({ status: 503, code: 20503, message: 'Service Unavailable' });
    const event = await signInThroughMsg91(tenant, randomMobile('GB'));
    assert.equal(event.type, 'otp.sent');
    assert.deepEqual(event.data, {
      channel: 'sms', requested: 'sms', provider: 'msg91', purpose: 'login',
      attempts: [{ provider: 'twilio', ok: false, code: 20503 }, { provider: 'msg91', ok: true }],
    });
  });

  it('Twilio does not answer: after sms.timeoutMs MSG91 delivers; the page did not wait for either', async () => {
    const tenant = await createPhoneTenant(server, twilioThenMsg91(vendors));
    const phone = randomMobile('GB');
    const browser = new Browser();
    const { request, page } = await openPhonePage(browser, tenant.config, { scope: 'openid phone' });
    const since = vendors.msg91.otps.length;
    vendors.twilio.hang();
    const codePage = asCodePage(await submitPhone(browser, page, phone));
    // Twilio holds the request for 1 s before MSG91 is asked: the page came back while Twilio was still silent
    assert.equal(vendors.msg91.otps.length, since, 'the code page was answered before the failover happened');
    const code = await codeFrom.msg91(vendors, phone, since);
    const signedIn = await exchange(tenant.config, request, await enterCode(browser, codePage, code));
    assert.deepEqual(signedIn.claims.amr, ['sms']);
    const event = await deliveryEvent(server, tenant.slug);
    // a timeout is network detail: the tenant's log says only that the attempt failed (issue #13, finding 4)
    assert.deepEqual([event.type, event.data.provider, event.data.attempts], ['otp.sent', 'msg91', [{ provider: 'twilio', ok: false, code: 'delivery_failed' }, { provider: 'msg91', ok: true }]]);
  });

  it('every provider fails: otp.delivery_failed is recorded and the page reads as if the code had been sent', async () => {
    const tenant = await createPhoneTenant(server, twilioThenMsg91(vendors));
    const delivered = randomMobile('GB');
    const failing = randomMobile('GB');
    const shown = async (phone: string) => {
      const browser = new Browser();
      const { page } = await openPhonePage(browser, tenant.config);
      const codePage = asCodePage(await submitPhone(browser, page, phone));
      return { browser, codePage, text: visibleText(codePage.html).replace(phone.slice(-4), '••••') };
    };
    const normal = await shown(delivered);
    await deliveryEvent(server, tenant.slug, 1);

    const before = sentCounts(vendors);
    vendors.twilio.failNext({ status: 500, code: 20500, message: 'Internal Server Error' });
    vendors.msg91.failNext({ message: 'Insufficient balance' });
    const failed = await shown(failing);
    assert.equal(failed.text, normal.text, 'the same page whether or not the code could be delivered');
    assert.equal(failed.codePage.status, normal.codePage.status);

    const event = await deliveryEvent(server, tenant.slug, 2);
    assert.equal(event.type, 'otp.delivery_failed');
    assert.equal(event.outcome, 'failure');
    assert.deepEqual(event.data, {
      channel: 'sms', purpose: 'login', reason: 'DeliveryFailed',
      attempts: [{ provider: 'twilio', ok: false, code: 20500 }, { provider: 'msg91', ok: false, code: 'Insufficient balance' }],
    });
    assert.deepEqual(sentCounts(vendors), before, 'nothing reached a phone');
    assert.ok(!JSON.stringify(event).includes(failing.slice(3)), 'the event does not hold the number');

    // the page keeps working as usual: a wrong code is just wrong
    const wrong = asPage(await enterCode(failed.browser, failed.codePage, '123456'), 'the code page again');
    assert.equal(wrong.status, 400);
    assert.match(visibleText(wrong.html), /That code is not right\. You have 4 attempts left\./);
  });

  describe('chains per country calling code', () => {
    let tenant: PhoneTenant;
    before(async () => {
      tenant = await createPhoneTenant(server, {
        signIn: smsSignIn,
        messaging: {
          sms: {
            routes: { default: ['twilio'], '+91': ['msg91', '2factor'] }, timeoutMs: 1000,
            twilio: vendorSettings.twilioMessaging(vendors), msg91: vendorSettings.msg91(vendors), twoFactor: vendorSettings.twoFactor(vendors),
          },
        },
      });
    });

    /** runs `send` and returns the audit event of the delivery it started (tests here share the tenant) */
    async function deliveryOf(send: () => Promise<unknown>) {
      const seen = (await auditEvents(server, tenant.slug, ['otp.sent', 'otp.delivery_failed'])).length;
      await send();
      return deliveryEvent(server, tenant.slug, seen + 1);
    }

    it('+91 goes to MSG91 first; +44 to Twilio', async () => {
      const india = randomMobile('IN');
      const before = sentCounts(vendors);
      const inSince = vendors.msg91.otps.length;
      const toIndia = await deliveryOf(() => phoneSignIn(tenant.config, india, () => codeFrom.msg91(vendors, india, inSince)));
      assert.deepEqual([toIndia.data.provider, toIndia.data.attempts], ['msg91', [{ provider: 'msg91', ok: true }]]);

      const uk = randomMobile('GB');
      const ukSince = vendors.twilio.messages.length;
      const toUk = await deliveryOf(() => phoneSignIn(tenant.config, uk, () => codeFrom.twilioMessage(vendors, uk, ukSince)));
      assert.deepEqual([toUk.data.provider, toUk.data.attempts], ['twilio', [{ provider: 'twilio', ok: true }]]);
      const after = sentCounts(vendors);
      assert.deepEqual([after.twilio - before.twilio, after.msg91 - before.msg91, after.twoFactor - before.twoFactor], [1, 1, 0]);
    });

    it('+91 with MSG91 failing goes to 2Factor, never to Twilio, and still signs in', async () => {
      const india = randomMobile('IN');
      const before = sentCounts(vendors);
      const since = vendors.twoFactor.sent.length;
      vendors.msg91.failNext({ message: 'Mobile no. is blocked' });
      let signedIn: Awaited<ReturnType<typeof phoneSignIn>> | undefined;
      const event = await deliveryOf(async () => {
        signedIn = await phoneSignIn(tenant.config, india, () => codeFrom.twoFactor(vendors, india, since));
      });
      assert.deepEqual(signedIn!.claims.amr, ['sms']);
      assert.equal(signedIn!.userinfo.phone_number, india);
      assert.deepEqual([event.data.provider, event.data.attempts], ['2factor', [{ provider: 'msg91', ok: false, code: 'Mobile no. is blocked' }, { provider: '2factor', ok: true }]]);
      assert.equal(sentCounts(vendors).twilio, before.twilio, 'Twilio is not in the +91 chain');
    });
  });

  it('the daily SMS cap: the third code of the day is refused with 429 on the page and nothing is sent', async () => {
    const tenant = await createPhoneTenant(server, {
      signIn: { ...smsSignIn, limits: { smsDailyCap: 2 } },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
    });
    for (const phone of [randomMobile('GB'), randomMobile('GB')]) {
      const browser = new Browser();
      asCodePage(await submitPhone(browser, (await openPhonePage(browser, tenant.config)).page, phone));
      await codeFrom.twilioMessage(vendors, phone);
    }
    await deliveryEvent(server, tenant.slug, 2);

    const third = randomMobile('GB');
    const browser = new Browser();
    const { page } = await openPhonePage(browser, tenant.config);
    const before = sentCounts(vendors);
    const refused = asPage(await submitPhone(browser, page, third), 'the phone page with an error');
    assert.equal(refused.status, 429);
    assert.match(refused.url.pathname, /\/phone$/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 86_400, `Retry-After ${retryAfter}: until the next UTC day`);
    assert.match(visibleText(refused.html), /Too many codes were requested\. Try again in \d+ minutes?\./);
    assert.deepEqual(sentCounts(vendors), before);
    const events = await auditEvents(server, tenant.slug, ['otp.sent', 'otp.rate_limited']);
    assert.deepEqual(events.map((e) => e.type), ['otp.sent', 'otp.sent', 'otp.rate_limited']);
    assert.deepEqual(events[2]!.data, { channel: 'sms', purpose: 'login', limit: 'sms_daily_cap' });
  });
});
