import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';
import { createSendLimits, type SendLimitInput, type SendLimitSettings } from '../../src/auth-methods/one-time-codes/send-limits.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

// 2026-03-10T23:00:00Z: one hour before the UTC day ends.
const LATE_EVENING = Date.UTC(2026, 2, 10, 23, 0, 0);

function setup(start = LATE_EVENING) {
  const written: string[] = [];
  const inner = createMemoryStore({ prefix: 'send-test:' });
  stores.push(inner);
  // Remembers every key the limits hand to the store.
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof args[0] === 'string') written.push(args[0]);
        if (Array.isArray(args[0])) written.push(...(args[0] as string[]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  let clock = start;
  const limits = createSendLimits({ limiter: createRateLimiter(store), store, now: () => clock });
  return { limits, written, advance: (ms: number) => (clock += ms) };
}

const settings = (over: Partial<SendLimitSettings> = {}): SendLimitSettings => ({
  perIdentifier: { limit: 3, windowSeconds: 3600 },
  perIp: { limit: 10, windowSeconds: 3600 },
  perTenant: { limit: 100, windowSeconds: 3600 },
  smsDailyCap: 50,
  ...over,
});

const send = (over: Partial<SendLimitInput> = {}): SendLimitInput => ({
  tenantId: 'tenant-a', identifier: 'alice@example.com', ip: '203.0.113.7', channel: 'email', limits: settings(), ...over,
});

async function takeN(limits: ReturnType<typeof setup>['limits'], n: number, input: (i: number) => SendLimitInput) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limits.take(input(i)));
  return out;
}

test('per identifier: refused past the limit with a retry delay, other identifiers unaffected', async () => {
  const { limits } = setup();
  const results = await takeN(limits, 4, () => send());
  assert.deepEqual(results.slice(0, 3), [{ allowed: true }, { allowed: true }, { allowed: true }]);
  const refused = results[3]!;
  assert.ok(!refused.allowed && refused.reason === 'identifier', JSON.stringify(refused));
  assert.ok(refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 3600, `retryAfter ${refused.retryAfterSeconds}`);
  assert.deepEqual(await limits.take(send({ identifier: 'Alice@Example.com' })), refused, 'case does not buy a new counter');
  assert.deepEqual(await limits.take(send({ identifier: 'bob@example.com' })), { allowed: true });
  assert.deepEqual(await limits.take(send({ tenantId: 'tenant-b' })), { allowed: true }, 'counted per tenant');
});

test('per IP: one address cannot spray many recipients', async () => {
  const { limits } = setup();
  const lim = settings({ perIp: { limit: 4, windowSeconds: 600 } });
  const results = await takeN(limits, 5, (i) => send({ identifier: `user${i}@example.com`, limits: lim }));
  assert.equal(results.filter((r) => r.allowed).length, 4);
  const refused = results[4]!;
  assert.ok(!refused.allowed && refused.reason === 'ip' && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 600);
  assert.deepEqual(await limits.take(send({ identifier: 'new@example.com', ip: '198.51.100.1', limits: lim })), { allowed: true });
});

test('per tenant: a ceiling over every identifier and address', async () => {
  const { limits } = setup();
  const lim = settings({ perTenant: { limit: 5, windowSeconds: 60 } });
  const results = await takeN(limits, 6, (i) => send({ identifier: `u${i}@example.com`, ip: `192.0.2.${i}`, limits: lim }));
  assert.equal(results.filter((r) => r.allowed).length, 5);
  const refused = results[5]!;
  assert.ok(!refused.allowed && refused.reason === 'tenant' && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 60);
  assert.deepEqual(await limits.take(send({ tenantId: 'tenant-b', limits: lim })), { allowed: true });
});

test('daily SMS cap: SMS and WhatsApp count, email does not, and it resets at UTC midnight', async () => {
  const { limits, advance } = setup();
  const lim = settings({ smsDailyCap: 3, perIdentifier: { limit: 100, windowSeconds: 60 } });
  const phone = (i: number) => `+1415555010${i}`;
  assert.deepEqual(await limits.take(send({ channel: 'sms', identifier: phone(1), limits: lim })), { allowed: true });
  assert.deepEqual(await limits.take(send({ channel: 'whatsapp', identifier: phone(2), limits: lim })), { allowed: true });
  assert.deepEqual(await limits.take(send({ channel: 'sms', identifier: phone(3), limits: lim })), { allowed: true });
  assert.deepEqual(await limits.take(send({ channel: 'whatsapp', identifier: phone(4), limits: lim })), {
    allowed: false, reason: 'sms_daily_cap', retryAfterSeconds: 3600,
  });
  assert.deepEqual(await limits.take(send({ channel: 'sms', identifier: phone(5), limits: lim })), {
    allowed: false, reason: 'sms_daily_cap', retryAfterSeconds: 3600,
  });
  assert.deepEqual(await limits.take(send({ channel: 'email', limits: lim })), { allowed: true }, 'email is not capped');
  assert.deepEqual(await limits.take(send({ channel: 'sms', tenantId: 'tenant-b', limits: lim })), { allowed: true }, 'capped per tenant');

  advance(3600_000); // 00:00 UTC, 11 March
  assert.deepEqual(await limits.take(send({ channel: 'sms', identifier: phone(6), limits: lim })), { allowed: true });
});

test('a daily cap of 0 allows no SMS or WhatsApp at all', async () => {
  const { limits } = setup();
  const lim = settings({ smsDailyCap: 0 });
  const refused = await limits.take(send({ channel: 'sms', identifier: '+14155550100', limits: lim }));
  assert.deepEqual(refused, { allowed: false, reason: 'sms_daily_cap', retryAfterSeconds: 3600 });
  assert.deepEqual(await limits.take(send({ channel: 'email', limits: lim })), { allowed: true });
});

test('a refused send does not eat any other limit’s allowance', async () => {
  const { limits } = setup();
  const lim = settings({ perIdentifier: { limit: 2, windowSeconds: 3600 }, perIp: { limit: 5, windowSeconds: 3600 }, perTenant: { limit: 8, windowSeconds: 3600 }, smsDailyCap: 6 });
  // Alice uses up her identifier allowance, then hammers: 20 refusals.
  await takeN(limits, 2, () => send({ channel: 'sms', identifier: '+14155550100', limits: lim }));
  const refusals = await takeN(limits, 20, () => send({ channel: 'sms', identifier: '+14155550100', limits: lim }));
  assert.ok(refusals.every((r) => !r.allowed && r.reason === 'identifier'));
  // The same IP still has exactly 3 of its 5 left, the tenant 6 of 8, the SMS cap 4 of 6.
  const fromSameIp = await takeN(limits, 4, (i) => send({ channel: 'sms', identifier: `+1415555020${i}`, limits: lim }));
  assert.deepEqual(fromSameIp.map((r) => (r.allowed ? 'ok' : r.reason)), ['ok', 'ok', 'ok', 'ip']);
  // Other addresses: the SMS cap has 1 left (6 - 5), then refuses; refused sends do not eat the tenant's.
  const elsewhere = await takeN(limits, 3, (i) => send({ channel: 'sms', identifier: `+1415555030${i}`, ip: `198.51.100.${i}`, limits: lim }));
  assert.deepEqual(elsewhere.map((r) => (r.allowed ? 'ok' : r.reason)), ['ok', 'sms_daily_cap', 'sms_daily_cap']);
  const emails = await takeN(limits, 3, (i) => send({ identifier: `e${i}@example.com`, ip: `192.0.2.${i}`, limits: lim }));
  assert.deepEqual(emails.map((r) => (r.allowed ? 'ok' : r.reason)), ['ok', 'ok', 'tenant'], 'tenant: 6 counted, 2 left');
});

test('concurrent sends at the edge never exceed a limit', async () => {
  const { limits } = setup();
  const lim = settings({ perIdentifier: { limit: 3, windowSeconds: 3600 } });
  const results = await Promise.all(Array.from({ length: 10 }, () => limits.take(send({ limits: lim }))));
  assert.equal(results.filter((r) => r.allowed).length, 3);
  assert.ok(results.every((r) => r.allowed || r.reason === 'identifier'));
});

test('the store never sees an identifier or an IP', async () => {
  const { limits, written } = setup();
  await takeN(limits, 5, () => send({ channel: 'sms', identifier: '+14155550100' }));
  assert.ok(written.length > 0);
  for (const key of written) {
    assert.ok(!key.includes('4155550100') && !key.includes('203.0.113.7'), `raw subject in key ${key}`);
  }
});
