// Each SMS vendor client against its local stand-in: the stand-in refuses anything its vendor does not document
// (URL, method, auth, encoding, fields), so every test also asserts it refused nothing.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../src/notifications/provider-error.js';
import { createMsg91SmsProvider } from '../../src/notifications/sms/msg91.sms.js';
import type { SmsSendRequest } from '../../src/notifications/sms/sms-provider.js';
import { createSmsRouter, DeliveryFailed } from '../../src/notifications/sms/sms-router.js';
import { createTwilioSmsProvider } from '../../src/notifications/sms/twilio.sms.js';
import { createTwoFactorSmsProvider } from '../../src/notifications/sms/two-factor.sms.js';
import { startMsg91StandIn, type Msg91StandIn } from '../support/vendors/msg91-stand-in.js';
import { startTwilioStandIn, type TwilioStandIn } from '../support/vendors/twilio-stand-in.js';
import { startTwoFactorStandIn, type TwoFactorStandIn } from '../support/vendors/two-factor-stand-in.js';

const india: SmsSendRequest = { to: '+919876543210', code: '482913', text: 'Acme: your sign-in code is 482913. It expires in 10 minutes.', ttlMinutes: 10 };
const us: SmsSendRequest = { ...india, to: '+14155552671' };
const signal = () => AbortSignal.timeout(5000);

let twilio: TwilioStandIn;
let msg91: Msg91StandIn;
let twoFactor: TwoFactorStandIn;
before(async () => {
  [twilio, msg91, twoFactor] = await Promise.all([startTwilioStandIn(), startMsg91StandIn(), startTwoFactorStandIn()]);
});
after(() => Promise.all([twilio.close(), msg91.close(), twoFactor.close()]));
afterEach(() => {
  for (const standIn of [twilio, msg91, twoFactor]) assert.deepEqual(standIn.rejections.splice(0), [], 'the stand-in refused a request');
});

/** Runs `send` and returns the ProviderError it must reject with. */
async function providerError(send: () => Promise<unknown>): Promise<ProviderError['details']> {
  const error = await send().then(() => assert.fail('expected a ProviderError'), (e: unknown) => e);
  assert.ok(error instanceof ProviderError, `not a ProviderError: ${String(error)}`);
  assert.doesNotMatch(error.message, /9876543210|4155552671/, 'error messages must not carry the phone number');
  return error.details;
}

const twilioMessaging = (extra: Partial<Parameters<typeof createTwilioSmsProvider>[0]> = {}) => createTwilioSmsProvider({
  accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15005550006', apiBaseUrl: twilio.url, verifyBaseUrl: twilio.url, ...extra,
});
const twilioVerify = (providerGeneratedCodes: boolean) => createTwilioSmsProvider({
  accountSid: twilio.accountSid, authToken: twilio.authToken, apiBaseUrl: twilio.url, verifyBaseUrl: `${twilio.url}/`,
  verify: { serviceSid: twilio.serviceSid, providerGeneratedCodes },
});

describe('Twilio Programmable Messaging', () => {
  test('sends our text from our number and returns the message sid', async () => {
    const result = await twilioMessaging().send(us, signal());
    const sent = twilio.messages.at(-1)!;
    assert.deepEqual([sent.to, sent.from, sent.messagingServiceSid, sent.body], [us.to, '+15005550006', null, us.text]);
    assert.deepEqual(result, { provider: 'twilio', messageId: sent.sid });
    assert.match(sent.sid, /^SM[0-9a-f]{32}$/);
  });

  test('a Messaging Service picks the sender when configured', async () => {
    const service = `MG${'ab'.repeat(16)}`;
    await twilioMessaging({ from: undefined, messagingServiceSid: service }).send(us, signal());
    assert.deepEqual([twilio.messages.at(-1)!.from, twilio.messages.at(-1)!.messagingServiceSid], [null, service]);
  });

  const errors: Array<[string, { status: number; code: number }, Partial<ProviderError['details']>]> = [
    ['invalid To', { status: 400, code: 21211 }, { retryable: true, invalidRecipient: true }],
    ['not a mobile number', { status: 400, code: 21614 }, { retryable: true, invalidRecipient: true }],
    ['unverified number on a trial account', { status: 400, code: 21608, }, { retryable: true }],
    ['region not enabled', { status: 400, code: 21408 }, { retryable: true }],
    ['recipient replied STOP', { status: 400, code: 21610 }, { retryable: false }],
    ['rate limited', { status: 429, code: 20429 }, { retryable: true }],
    ['account suspended / no balance', { status: 401, code: 10001 }, { retryable: true }],
    ['server error', { status: 503, code: 20503 }, { retryable: true }],
  ];
  for (const [name, failure, expected] of errors) {
    test(`maps ${failure.code} (${name})`, async () => {
      twilio.failNext({ ...failure, message: `The 'To' number ${us.to} failed.` });
      const details = await providerError(() => twilioMessaging().send(us, signal()));
      assert.deepEqual(details, { provider: 'twilio', code: failure.code, status: failure.status, ...expected });
    });
  }

  test('wrong credentials: 401/20003, retryable', async () => {
    const details = await providerError(() => twilioMessaging({ authToken: 'not-the-token' }).send(us, signal()));
    assert.deepEqual(details, { provider: 'twilio', code: 20003, status: 401, retryable: true });
  });

  test('a hanging API times out through the signal', async () => {
    twilio.hang();
    const details = await providerError(() => twilioMessaging().send(us, AbortSignal.timeout(150)));
    assert.deepEqual([details.code, details.retryable], ['timeout', true]);
  });

  test('the stand-in refuses what Twilio does not document', async () => {
    const auth = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`;
    const url = `${twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`;
    const form = { authorization: auth, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    const attempts = [
      fetch(url, { method: 'POST', headers: form, body: 'to=%2B14155552671&From=%2B15005550006&Body=hi' }),
      fetch(url, { method: 'POST', headers: { ...form, 'content-type': 'application/json' }, body: JSON.stringify({ To: us.to, From: '+15005550006', Body: 'hi' }) }),
      fetch(url, { method: 'POST', headers: { ...form, authorization: 'Bearer x' }, body: 'To=%2B14155552671&From=%2B15005550006&Body=hi' }),
      fetch(url, { method: 'POST', headers: form, body: 'To=4155552671&From=%2B15005550006&Body=hi' }),
      fetch(url.replace('.json', ''), { method: 'POST', headers: form, body: 'To=%2B14155552671&From=%2B15005550006&Body=hi' }),
    ];
    const statuses = await Promise.all(attempts.map(async (a) => (await a).status));
    assert.deepEqual(statuses, [400, 400, 401, 400, 404]);
    assert.equal(twilio.rejections.splice(0).length, 5);
  });
});

describe('Twilio Verify', () => {
  test('provider-generated code: starts an sms verification and checks codes through VerificationCheck', async () => {
    const provider = twilioVerify(true);
    const result = await provider.send(us, signal());
    const verification = twilio.verifications.at(-1)!;
    assert.deepEqual([verification.to, verification.channel, verification.customCode], [us.to, 'sms', false]);
    assert.notEqual(verification.code, us.code, 'our code must not be sent');
    assert.deepEqual(result, { provider: 'twilio', messageId: verification.sid, verification: { provider: 'twilio', ref: verification.sid } });

    assert.equal(await provider.check!(verification.sid, us.to, wrongCode(verification.code), signal()), 'wrong');
    assert.equal(await provider.check!(verification.sid, us.to, verification.code, signal()), 'approved');
    assert.equal(await provider.check!(verification.sid, us.to, verification.code, signal()), 'expired', 'approved is used up (404/20404)');
  });

  test('five wrong checks kill the verification (60202)', async () => {
    const provider = twilioVerify(true);
    const { verification } = await provider.send(us, signal());
    const code = twilio.verifications.at(-1)!.code;
    for (let i = 0; i < 5; i++) assert.equal(await provider.check!(verification!.ref, us.to, wrongCode(code), signal()), 'wrong');
    assert.equal(await provider.check!(verification!.ref, us.to, code, signal()), 'expired');
  });

  test('after ten minutes the verification has expired', async () => {
    const provider = twilioVerify(true);
    const { verification } = await provider.send(us, signal());
    twilio.advanceClock(10 * 60_000);
    assert.equal(await provider.check!(verification!.ref, us.to, twilio.verifications.at(-1)!.code, signal()), 'expired');
  });

  test('a code Twilio would refuse as malformed is wrong without asking Twilio', async () => {
    const provider = twilioVerify(true);
    const { verification } = await provider.send(us, signal());
    assert.equal(await provider.check!(verification!.ref, us.to, '12', signal()), 'wrong');
    assert.equal(twilio.verifications.at(-1)!.wrongChecks, 0);
  });

  test('a failing VerificationCheck is an error, not a verdict', async () => {
    const provider = twilioVerify(true);
    const { verification } = await provider.send(us, signal());
    twilio.failNext({ status: 500, code: 20500, message: 'Internal Server Error' });
    const details = await providerError(() => provider.check!(verification!.ref, us.to, '123456', signal()));
    assert.deepEqual(details, { provider: 'twilio-verify', code: 20500, status: 500, retryable: true });
  });

  test('a 2xx check whose verification is no longer pending counts as expired', async () => {
    // Not something the stand-in produces (Twilio answers 404/429 for dead verifications), but Verify's status
    // enum allows it: canceled / max_attempts_reached / expired must never read as "wrong, try again".
    const server = createServer((_, response) => response.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sid: 'VE1', status: 'max_attempts_reached', valid: false })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = createTwilioSmsProvider({
        accountSid: 'AC1', authToken: 't', verifyBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        verify: { serviceSid: 'VA1', providerGeneratedCodes: true },
      });
      assert.equal(await provider.check!('VE1', us.to, '123456', signal()), 'expired');
    } finally {
      server.close();
    }
  });

  test('own code: sent as CustomCode, verified by us', async () => {
    const result = await twilioVerify(false).send({ ...us, to: '+14155550100' }, signal());
    const verification = twilio.verifications.at(-1)!;
    assert.deepEqual([verification.code, verification.customCode], [us.code, true]);
    assert.deepEqual(result, { provider: 'twilio', messageId: verification.sid });
  });

  test('max send attempts (60203) and invalid To (60200) map to retryable errors', async () => {
    const to = '+14155550111';
    for (let i = 0; i < 5; i++) await twilioVerify(true).send({ ...us, to }, signal());
    assert.deepEqual(await providerError(() => twilioVerify(true).send({ ...us, to }, signal())),
      { provider: 'twilio-verify', code: 60203, status: 429, retryable: true });
    twilio.failNext({ status: 400, code: 60200, message: 'Invalid parameter: To' });
    assert.deepEqual(await providerError(() => twilioVerify(true).send(us, signal())),
      { provider: 'twilio-verify', code: 60200, status: 400, retryable: true, invalidRecipient: true });
  });
});

describe('MSG91 SendOTP v5', () => {
  const provider = (extra: Partial<Parameters<typeof createMsg91SmsProvider>[0]> = {}) =>
    createMsg91SmsProvider({ authKey: msg91.authKey, templateId: msg91.templateId, baseUrl: msg91.url, ...extra });

  test('sends our code on the MSG91 template; DLT ids are bound to the template, not sent', async () => {
    const sender = provider({ dltTemplateId: '1707161519686689997', entityId: '1201159146530453123' });
    const result = await sender.send(india, signal());
    const otp = msg91.otps.at(-1)!;
    assert.deepEqual(otp, { requestId: result.messageId, templateId: msg91.templateId, mobile: '919876543210', otp: '482913', otpLength: 6, otpExpiry: 10, authkeyIn: 'header' });
    assert.deepEqual(sender.dlt, { templateId: '1707161519686689997', entityId: '1201159146530453123' });
    assert.throws(() => provider({ dltTemplateId: 'TEMPLATE-1' }), /dltTemplateId/);
  });

  test('an error with HTTP 200 is still an error (type decides)', async () => {
    msg91.failNext({ message: 'Insufficient balance' });
    assert.deepEqual(await providerError(() => provider().send(india, signal())), { provider: 'msg91', code: 'Insufficient balance', status: 200, retryable: true });
    msg91.failNext({ message: 'Mobile no. is invalid' });
    assert.deepEqual(await providerError(() => provider().send(india, signal())), { provider: 'msg91', code: 'Mobile no. is invalid', status: 200, retryable: true, invalidRecipient: true });
    msg91.failNext({ message: 'Service unavailable', status: 503 });
    assert.equal((await providerError(() => provider().send(india, signal()))).status, 503);
  });

  test('wrong authkey or template: errors the chain moves past', async () => {
    assert.equal((await providerError(() => provider({ authKey: 'nope' }).send(india, signal()))).code, 'Authentication failure');
    assert.equal((await providerError(() => provider({ templateId: 'f'.repeat(24) }).send(india, signal()))).code, 'Invalid template id');
  });
});

describe('2Factor', () => {
  const provider = (extra: Partial<Parameters<typeof createTwoFactorSmsProvider>[0]> = {}) =>
    createTwoFactorSmsProvider({ apiKey: twoFactor.apiKey, baseUrl: twoFactor.url, ...extra });

  test('sends our code, with and without a DLT template name, and returns the session id', async () => {
    const withTemplate = await provider({ templateName: 'LOGIN_OTP' }).send(india, signal());
    assert.deepEqual(twoFactor.sent.at(-1), { sessionId: withTemplate.messageId, phone: '919876543210', otp: '482913', template: 'LOGIN_OTP' });
    await provider().send(india, signal());
    assert.equal(twoFactor.sent.at(-1)!.template, null);
  });

  test('Status/Details errors map, whatever the HTTP status', async () => {
    assert.deepEqual(await providerError(() => provider({ apiKey: 'wrong' }).send(india, signal())),
      { provider: '2factor', code: 'Invalid API Key - Check the API key you have entered', status: 400, retryable: true });
    assert.deepEqual(await providerError(() => provider().send(us, signal())),
      { provider: '2factor', code: 'Invalid Phone Number - Check Number Format', status: 400, retryable: true, invalidRecipient: true });
    twoFactor.failNext({ details: 'Insufficient Balance', status: 200 });
    assert.equal((await providerError(() => provider().send(india, signal()))).code, 'Insufficient Balance');
    assert.equal((await providerError(() => provider({ templateName: 'NOPE' }).send(india, signal()))).code, 'Template Name Does Not Exist');
  });
});

describe('the router over the real clients', () => {
  const router = (timeoutMs = 5000) => createSmsRouter({
    providers: {
      twilio: twilioMessaging(),
      msg91: createMsg91SmsProvider({ authKey: msg91.authKey, templateId: msg91.templateId, baseUrl: msg91.url }),
      '2factor': createTwoFactorSmsProvider({ apiKey: twoFactor.apiKey, baseUrl: twoFactor.url }),
    },
    routes: { default: ['twilio'], '+91': ['msg91', '2factor', 'twilio'] },
    timeoutMs,
  });

  test('+91 goes to MSG91; elsewhere Twilio', async () => {
    assert.equal((await router().send(india)).provider, 'msg91');
    assert.equal((await router().send(us)).provider, 'twilio');
  });

  test('MSG91 errors, 2Factor delivers; MSG91 hangs, 2Factor delivers', async () => {
    msg91.failNext({ message: 'Insufficient balance' });
    const afterError = await router().send(india);
    assert.deepEqual([afterError.provider, afterError.attempts.map((a) => [a.provider, a.ok, a.code])],
      ['2factor', [['msg91', false, 'Insufficient balance'], ['2factor', true, undefined]]]);
    assert.equal(twoFactor.sent.at(-1)!.otp, india.code);

    msg91.hang();
    const afterTimeout = await router(200).send(india);
    assert.deepEqual([afterTimeout.provider, afterTimeout.attempts.map((a) => [a.provider, a.ok, a.code])],
      ['2factor', [['msg91', false, 'timeout'], ['2factor', true, undefined]]]);
  });

  test('every provider failing is DeliveryFailed with all attempts', async () => {
    msg91.failNext({ message: 'Insufficient balance' });
    twoFactor.failNext({ details: 'Insufficient Balance' });
    twilio.failNext({ status: 400, code: 21408, message: 'Permission to send an SMS has not been enabled for the region' });
    const error = await router().send(india).then(() => assert.fail('expected DeliveryFailed'), (e: unknown) => e);
    assert.ok(error instanceof DeliveryFailed);
    assert.deepEqual(error.attempts.map((a) => [a.provider, a.ok, a.code]), [['msg91', false, 'Insufficient balance'], ['2factor', false, 'Insufficient Balance'], ['twilio', false, 21408]]);
  });
});

function wrongCode(code: string): string {
  return code.replace(/^./, (d) => String((Number(d) + 1) % 10));
}
