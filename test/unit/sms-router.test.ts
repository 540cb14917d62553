// The routing and failover rules of the SMS router, with scripted providers (the vendor clients themselves are
// tested against their stand-ins in test/integration/sms-providers.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/notifications/provider-error.js';
import type { SmsProvider, SmsProviderName, SmsSendRequest, SmsSendResult } from '../../src/notifications/sms/sms-provider.js';
import { createSmsRouter, DeliveryFailed, type DeliveryAttempt } from '../../src/notifications/sms/sms-router.js';

const india: SmsSendRequest = { to: '+919876543210', code: '123456', text: 'code 123456', ttlMinutes: 10 };
const us: SmsSendRequest = { ...india, to: '+14155552671' };

type Behaviour = 'ok' | 'hang' | ProviderError | Error;

/** A provider that behaves as told and remembers what it was asked and whether its signal was aborted. */
function scripted(name: SmsProviderName, ...behaviours: Behaviour[]) {
  const calls: Array<{ to: string; signal: AbortSignal }> = [];
  const provider: SmsProvider = {
    name,
    send(request, signal) {
      calls.push({ to: request.to, signal });
      const behaviour = behaviours.shift() ?? 'ok';
      if (behaviour === 'ok') return Promise.resolve<SmsSendResult>({ provider: name, messageId: `${name}-1` });
      if (behaviour === 'hang') return new Promise(() => {}); // ignores its signal: the router must not wait
      return Promise.reject(behaviour);
    },
  };
  return { provider, calls };
}

const failure = (provider: string, code: number | string, extra: Partial<ProviderError['details']> = {}) =>
  new ProviderError(`${provider}: failed (${code})`, { provider, code, retryable: true, ...extra });

async function deliveryFailed(promise: Promise<unknown>): Promise<DeliveryAttempt[]> {
  const error = await promise.then(() => assert.fail('expected DeliveryFailed'), (e: unknown) => e);
  assert.ok(error instanceof DeliveryFailed, `not DeliveryFailed: ${String(error)}`);
  return error.attempts;
}

const summary = (attempts: DeliveryAttempt[]) => attempts.map((a) => [a.provider, a.ok, a.code]);

test('routes by calling code, else by default', async () => {
  const twilio = scripted('twilio');
  const msg91 = scripted('msg91');
  const router = createSmsRouter({ providers: { twilio: twilio.provider, msg91: msg91.provider }, routes: { default: ['twilio'], '+91': ['msg91', 'twilio'] } });
  const toIndia = await router.send(india);
  const toUs = await router.send(us);
  assert.deepEqual([toIndia.provider, toIndia.messageId, summary(toIndia.attempts)], ['msg91', 'msg91-1', [['msg91', true, undefined]]]);
  assert.deepEqual([toUs.provider, summary(toUs.attempts)], ['twilio', [['twilio', true, undefined]]]);
  assert.deepEqual([msg91.calls.map((c) => c.to), twilio.calls.map((c) => c.to)], [[india.to], [us.to]]);
});

test('the longest matching calling code wins', async () => {
  const twilio = scripted('twilio');
  const twoFactor = scripted('2factor');
  const router = createSmsRouter({ providers: { twilio: twilio.provider, '2factor': twoFactor.provider }, routes: { '+1': ['twilio'], '+1876': ['2factor'] } });
  assert.equal((await router.send({ ...india, to: '+18765550123' })).provider, '2factor');
  assert.equal((await router.send(us)).provider, 'twilio');
  assert.deepEqual(await deliveryFailed(router.send(india)), [], 'no default route: nothing to try');
});

test('an error moves on to the next provider and is recorded', async () => {
  const msg91 = scripted('msg91', failure('msg91', 'Insufficient balance'));
  const twoFactor = scripted('2factor');
  const router = createSmsRouter({ providers: { msg91: msg91.provider, '2factor': twoFactor.provider }, routes: { default: ['msg91', '2factor'] } });
  const delivery = await router.send(india);
  assert.equal(delivery.provider, '2factor');
  assert.deepEqual(summary(delivery.attempts), [['msg91', false, 'Insufficient balance'], ['2factor', true, undefined]]);
  assert.match(delivery.attempts[0]!.error!, /Insufficient balance/);
  assert.ok(delivery.attempts.every((a) => Number.isInteger(a.ms) && a.ms >= 0));
});

test('a timeout moves on, and the timed-out provider\'s signal is aborted', async () => {
  const msg91 = scripted('msg91', 'hang');
  const twilio = scripted('twilio');
  const router = createSmsRouter({ providers: { msg91: msg91.provider, twilio: twilio.provider }, routes: { default: ['msg91', 'twilio'] }, timeoutMs: 50 });
  const delivery = await router.send(india);
  assert.equal(delivery.provider, 'twilio');
  assert.deepEqual(summary(delivery.attempts), [['msg91', false, 'timeout'], ['twilio', true, undefined]]);
  assert.ok(delivery.attempts[0]!.ms >= 45, `gave up after ${delivery.attempts[0]!.ms} ms`);
  assert.equal(msg91.calls[0]!.signal.aborted, true);
  assert.equal(twilio.calls[0]!.signal.aborted, false);
});

test('all failing is DeliveryFailed listing every attempt', async () => {
  const router = createSmsRouter({
    providers: {
      msg91: scripted('msg91', failure('msg91', 'Invalid authkey')).provider,
      '2factor': scripted('2factor', 'hang').provider,
      twilio: scripted('twilio', failure('twilio', 21408, { status: 400 })).provider,
    },
    routes: { '+91': ['msg91', '2factor', 'twilio'], default: ['twilio'] },
    timeoutMs: 30,
  });
  const attempts = await deliveryFailed(router.send(india));
  assert.deepEqual(summary(attempts), [['msg91', false, 'Invalid authkey'], ['2factor', false, 'timeout'], ['twilio', false, 21408]]);
});

test('a provider calling the number invalid does not stop the chain; an opt-out does', async () => {
  const invalid = createSmsRouter({
    providers: { twilio: scripted('twilio', failure('twilio', 21211, { invalidRecipient: true })).provider, msg91: scripted('msg91').provider },
    routes: { default: ['twilio', 'msg91'] },
  });
  assert.equal((await invalid.send(india)).provider, 'msg91');

  const msg91 = scripted('msg91');
  const optedOut = createSmsRouter({
    providers: { twilio: scripted('twilio', failure('twilio', 21610, { retryable: false })).provider, msg91: msg91.provider },
    routes: { default: ['twilio', 'msg91'] },
  });
  assert.deepEqual(summary(await deliveryFailed(optedOut.send(india))), [['twilio', false, 21610]]);
  assert.equal(msg91.calls.length, 0);
});

test('a provider without credentials is recorded and skipped; a crashing client does not stop the chain', async () => {
  const router = createSmsRouter({
    providers: { msg91: scripted('msg91', new TypeError('boom')).provider, twilio: scripted('twilio').provider },
    routes: { default: ['2factor', 'msg91', 'twilio'] },
  });
  const delivery = await router.send(india);
  assert.deepEqual(summary(delivery.attempts), [['2factor', false, 'not_configured'], ['msg91', false, undefined], ['twilio', true, undefined]]);
  assert.equal(delivery.attempts[1]!.error, 'boom');
});

test('passes the provider\'s verification through, and gives providers out for check()', async () => {
  const twilio: SmsProvider = {
    name: 'twilio',
    send: async () => ({ provider: 'twilio', messageId: 'VE1', verification: { provider: 'twilio', ref: 'VE1' } }),
    check: async () => 'approved',
  };
  const router = createSmsRouter({ providers: { twilio }, routes: { default: ['twilio'] } });
  const delivery = await router.send(us);
  assert.deepEqual(delivery.verification, { provider: 'twilio', ref: 'VE1' });
  assert.equal(router.providerFor('twilio'), twilio);
  assert.equal(router.providerFor('msg91'), undefined);
});

test('route keys must be calling codes or default', () => {
  assert.throws(() => createSmsRouter({ providers: {}, routes: { '91': ['msg91'] } }), /calling code/);
  assert.throws(() => createSmsRouter({ providers: {}, routes: { IN: ['msg91'] } }), /calling code/);
});
