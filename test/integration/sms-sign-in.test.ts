// Signing in with a code by SMS on the hosted pages, through each vendor configured alone (its local stand-in
// checks every request as the vendor documents it): a new number signs up, the same number signs in again as the
// same user, and the relying party (openid-client) gets an id_token with amr ["sms"] and a verified phone_number.
// Numbers are typed as people type them: national formats are refused with a hint, invalid ones too, and nothing
// is sent for either. With sign-up closed an unknown number gets the same answer as a known one and no SMS.
// Provider credentials are stored sealed and never shown back.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import pg from 'pg';
import { Browser } from '../support/browser.js';
import { asPage, loginPage, visibleText } from '../support/hosted-pages.js';
import {
  asCodePage, auditEvents, codeFrom, createPhoneTenant, deliveryEvent, enterCode, openPhonePage, phoneSignIn, randomMobile,
  nationalFormat, sentCounts, startVendors, submitPhone, vendorSettings, waitFor, type Vendors,
} from '../support/phone-flows.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';

interface VendorCase {
  name: string;
  country: 'GB' | 'IN';
  sms(v: Vendors): Record<string, unknown>;
  /** how many messages the vendor's stand-in holds (so the next read sees only new ones) */
  mark(v: Vendors): number;
  code(v: Vendors, to: string, since: number): Promise<string>;
  /** what the stand-in must have seen for one sign-in, beyond the code */
  checkSent?(v: Vendors, to: string, since: number): void;
  provider: string;
}

const cases: VendorCase[] = [
  {
    name: 'Twilio Programmable Messaging', country: 'GB', provider: 'twilio',
    sms: (v) => ({ routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(v) }),
    mark: (v) => v.twilio.messages.length,
    code: (v, to, since) => codeFrom.twilioMessage(v, to, since),
    checkSent(v, to, since) {
      const [message] = v.twilio.messages.slice(since);
      assert.deepEqual([message!.to, message!.from], [to, '+15005550006']);
      assert.match(message!.body, /^\d{6} is your Tenant t-[0-9a-f]{8} sign-in code\. It expires in 10 minutes\./);
    },
  },
  {
    name: 'Twilio Verify sending our code (CustomCode)', country: 'GB', provider: 'twilio',
    sms: (v) => ({ routes: { default: ['twilio'] }, twilio: vendorSettings.twilioVerify(v, false) }),
    mark: (v) => v.twilio.verifications.length,
    code: async (v, to, since) => (await codeFrom.twilioVerification(v, to, since)).code,
    checkSent(v, to, since) {
      const [verification] = v.twilio.verifications.slice(since);
      assert.deepEqual([verification!.to, verification!.channel, verification!.customCode], [to, 'sms', true]);
      assert.equal(verification!.status, 'pending', 'our code is checked by us, never through VerificationCheck');
      assert.equal(v.twilio.messages.filter((m) => m.to === to).length, 0, 'Verify, not Messaging');
    },
  },
  {
    name: 'Twilio Verify generating the code (providerGeneratedCodes)', country: 'GB', provider: 'twilio',
    sms: (v) => ({ routes: { default: ['twilio'] }, twilio: vendorSettings.twilioVerify(v, true) }),
    mark: (v) => v.twilio.verifications.length,
    code: async (v, to, since) => (await codeFrom.twilioVerification(v, to, since)).code,
    checkSent(v, to, since) {
      const [verification] = v.twilio.verifications.slice(since);
      assert.deepEqual([verification!.to, verification!.channel, verification!.customCode], [to, 'sms', false]);
      assert.equal(verification!.status, 'approved', 'the code typed was checked through VerificationCheck');
    },
  },
  {
    name: 'MSG91', country: 'IN', provider: 'msg91',
    sms: (v) => ({ routes: { default: ['msg91'] }, msg91: vendorSettings.msg91(v) }),
    mark: (v) => v.msg91.otps.length,
    code: (v, to, since) => codeFrom.msg91(v, to, since),
    checkSent(v, to, since) {
      const [otp] = v.msg91.otps.slice(since);
      assert.deepEqual([otp!.mobile, otp!.templateId, otp!.otpExpiry], [to.slice(1), v.msg91.templateId, 10]);
    },
  },
  {
    name: '2Factor', country: 'IN', provider: '2factor',
    sms: (v) => ({ routes: { default: ['2factor'] }, twoFactor: vendorSettings.twoFactor(v) }),
    mark: (v) => v.twoFactor.sent.length,
    code: (v, to, since) => codeFrom.twoFactor(v, to, since),
  },
];

describe('SMS sign-in on the hosted pages', () => {
  const server = useTessera();
  let vendors: Vendors;
  before(async () => {
    vendors = await startVendors();
  });
  after(() => vendors?.close());
  afterEach(() => vendors.assertNoRejections());

  const smsSignIn = { methods: { smsOtp: true }, signUp: true };

  for (const c of cases) {
    it(`${c.name}: a new number signs up, then signs in again as the same user`, async () => {
      const tenant = await createPhoneTenant(server, { signIn: smsSignIn, messaging: { sms: c.sms(vendors) } });
      const phone = randomMobile(c.country);

      // typed the moment it reaches the phone, as people do: for Twilio Verify the server must know by then
      // that the check goes to Twilio
      const received = (since: number) => () => c.code(vendors, phone, since);
      let since = c.mark(vendors);
      const first = await phoneSignIn(tenant.config, phone, received(since));
      c.checkSent?.(vendors, phone, since);
      assert.deepEqual(first.claims.amr, ['sms']);
      assert.equal(first.userinfo.phone_number, phone);
      assert.equal(first.userinfo.phone_number_verified, true);

      // typed the way it is printed abroad: "+44 7911 123456" is the same number
      since = c.mark(vendors);
      const typed = parsePhoneNumberFromString(phone)!.formatInternational();
      assert.notEqual(typed, phone);
      const again = await phoneSignIn(tenant.config, phone, received(since), { typed });
      c.checkSent?.(vendors, phone, since);
      assert.equal(again.claims.sub, first.claims.sub, 'the returning number is the same account');
      assert.deepEqual(again.claims.amr, ['sms']);
      assert.equal(again.userinfo.phone_number, phone);

      await deliveryEvent(server, tenant.slug, 2);
      const events = await auditEvents(server, tenant.slug, ['signup.completed', 'otp.sent', 'otp.verified', 'login.succeeded']);
      assert.deepEqual(events.filter((e) => e.type === 'signup.completed').map((e) => [e.subject, e.data.method]), [[first.claims.sub, 'sms']]);
      const sent = events.filter((e) => e.type === 'otp.sent');
      assert.deepEqual(sent.map((e) => [e.data.channel, e.data.provider]), [['sms', c.provider], ['sms', c.provider]]);
      assert.deepEqual(sent.map((e) => e.data.attempts), [[{ provider: c.provider, ok: true }], [{ provider: c.provider, ok: true }]]);
      assert.deepEqual(events.filter((e) => e.type === 'login.succeeded').map((e) => [e.subject, e.data.method]), [[first.claims.sub, 'sms_code'], [first.claims.sub, 'sms_code']]);
      for (const event of events) assert.ok(!JSON.stringify(event).includes(phone.slice(3)), 'no event holds the phone number');
    });
  }

  describe('numbers as people type them', () => {
    let tenant: Awaited<ReturnType<typeof createPhoneTenant>>;
    before(async () => {
      tenant = await createPhoneTenant(server, { signIn: smsSignIn, messaging: { sms: cases[0]!.sms(vendors) } });
    });

    /** submits `typed` and expects the phone page again with `error`, and nothing sent or recorded */
    async function refused(typed: string, error: string) {
      const browser = new Browser();
      const { page } = await openPhonePage(browser, tenant.config);
      const before = sentCounts(vendors);
      const answer = asPage(await submitPhone(browser, page, typed), 'the phone page again');
      assert.equal(answer.status, 400);
      assert.match(answer.url.pathname, /\/phone$/);
      assert.equal(/<p class="error" id="form-error" role="alert">([^<]*)<\/p>/.exec(answer.html)?.[1], error);
      assert.ok(answer.html.includes('aria-invalid="true"'));
      assert.ok(answer.html.includes(`value="${typed}"`), 'what was typed stays in the field');
      // nothing was issued, so nothing can be on its way: the counts and the audit log are final now
      assert.deepEqual(sentCounts(vendors), before);
      assert.deepEqual(await auditEvents(server, tenant.slug, ['otp.sent', 'otp.delivery_failed', 'otp.rate_limited']), []);
    }

    const countryCodeHint = 'Enter your number with its country code, e.g. +44 7911 123456.';

    it('refuses a number in national format and says to add the country code (it is not guessed)', async () => {
      const phone = randomMobile('GB');
      await refused(nationalFormat(phone), countryCodeHint);
      await refused(nationalFormat(phone).replace(/\s/g, ''), countryCodeHint);
      // the hint is there before any mistake, too
      const { page } = await openPhonePage(new Browser(), tenant.config);
      assert.match(visibleText(page.html), /Include the country code, e\.g\. \+44 7911 123456/);
    });

    it('refuses numbers that are not valid phone numbers with a friendly error', async () => {
      for (const typed of ['+44 12345', '+1 555 000 0001', '+44 7911 123456 ext. 12', 'call +447911123456', '++447911123456', '+999 1234567']) {
        await refused(typed, countryCodeHint);
      }
    });
  });

  describe('with sign-up closed', () => {
    it('a known number still signs in; an unknown one gets the same page but no SMS, and no code works for it', async () => {
      const tenant = await createPhoneTenant(server, { signIn: smsSignIn, messaging: { sms: cases[0]!.sms(vendors) } });
      const known = randomMobile('GB');
      const since = vendors.twilio.messages.length;
      const signedUp = await phoneSignIn(tenant.config, known, () => codeFrom.twilioMessage(vendors, known, since));

      await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', '{"signIn":{"signUp":false}}']);
      // the running server hears of the change through Redis: the login page stops offering sign-up
      await waitFor('the server to see sign-up closed', async () => {
        const { page } = await loginPage(new Browser(), tenant.config);
        return page.html.includes('Create an account') ? undefined : true;
      });

      const next = vendors.twilio.messages.length;
      const returning = await phoneSignIn(tenant.config, known, () => codeFrom.twilioMessage(vendors, known, next));
      assert.equal(returning.claims.sub, signedUp.claims.sub);
      assert.deepEqual(returning.claims.amr, ['sms']);

      const unknown = randomMobile('GB');
      const browser = new Browser();
      const { page } = await openPhonePage(browser, tenant.config);
      const before = vendors.twilio.messages.length;
      const codePage = asCodePage(await submitPhone(browser, page, unknown));
      const other = new Browser();
      const knownPage = asCodePage(await submitPhone(other, (await openPhonePage(other, tenant.config)).page, known));
      const masked = (html: string, number: string) => visibleText(html).replace(number.slice(-4), '••••');
      assert.equal(masked(codePage.html, unknown), masked(knownPage.html, known), 'the code page reads the same for both');
      await deliveryEvent(server, tenant.slug, 3);
      await codeFrom.twilioMessage(vendors, known, before);
      assert.equal(vendors.twilio.messages.slice(before).filter((m) => m.to === unknown).length, 0, 'nothing is sent to an unknown number');
      const sentTo = (await auditEvents(server, tenant.slug, ['otp.sent', 'otp.delivery_failed'])).map((e) => e.type);
      assert.deepEqual(sentTo, ['otp.sent', 'otp.sent', 'otp.sent'], 'the unknown number was neither sent to nor failed');

      const wrong = asPage(await enterCode(browser, codePage, '000000'), 'the code page again');
      assert.equal(wrong.status, 400);
      assert.match(visibleText(wrong.html), /That code is not right\. You have 4 attempts left\./);
      assert.deepEqual(await auditEvents(server, tenant.slug, ['signup.completed']).then((e) => e.length), 1, 'no account was created');
    });
  });

  it('keeps provider credentials sealed at rest and never shows them back', async () => {
    const smtpUrl = 'smtp://mailer:smtp-password-1f9c@127.0.0.1:2525';
    const tenant = await createPhoneTenant(server, {
      signIn: smsSignIn,
      messaging: {
        email: { smtpUrl },
        sms: { routes: { default: ['twilio', 'msg91', '2factor'] }, twilio: vendorSettings.twilioMessaging(vendors), msg91: vendorSettings.msg91(vendors), twoFactor: vendorSettings.twoFactor(vendors) },
        whatsapp: vendorSettings.whatsapp(vendors),
      },
    });
    const secrets = [vendors.twilio.authToken, vendors.msg91.authKey, vendors.twoFactor.apiKey, vendors.whatsapp.accessToken, 'smtp-password-1f9c'];
    const stored = await storedSettings(server, tenant.slug);
    for (const secret of secrets) assert.ok(!stored.includes(secret), 'a credential is stored in the clear');
    const sealed = JSON.parse(stored) as { messaging: { sms: { twilio: { authToken: string; accountSid: string } } } };
    assert.match(sealed.messaging.sms.twilio.authToken, /^v1\./, 'sealed like client secrets');
    assert.equal(sealed.messaging.sms.twilio.accountSid, vendors.twilio.accountSid, 'what is not a secret stays readable');

    const shown = await server.cli(['tenant', 'settings', '--tenant', tenant.slug]);
    for (const secret of secrets) assert.ok(!shown.stdout.includes(secret), 'the CLI shows a credential');
    assert.equal(JSON.parse(shown.stdout).messaging.sms.twilio.authToken, '(set)');

    // and the sealed token is what the server uses: Twilio (the stand-in checks Basic auth) delivers the code
    const phone = randomMobile('GB');
    const since = vendors.twilio.messages.length;
    const signedIn = await phoneSignIn(tenant.config, phone, () => codeFrom.twilioMessage(vendors, phone, since));
    assert.equal(signedIn.userinfo.phone_number, phone);
  });
});

async function storedSettings(server: TesseraProcess, slug: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows: [row] } = await client.query<{ settings: string }>('SELECT settings::text AS settings FROM tenants WHERE slug = $1', [slug]);
    return row!.settings;
  } finally {
    await client.end();
  }
}
