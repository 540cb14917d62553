// The one-time code rules against real Redis, where concurrent requests really interleave: two store
// connections stand in for two Tessera processes.
// test-group: serial (10,000 concurrent Redis commands: beside another file on a loaded machine one timed out)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from '@redis/client';
import type { KvStore } from '../../src/store/kv-store.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';
import { createOneTimeCodes, type IssueInput } from '../../src/auth-methods/one-time-codes/one-time-codes.js';
import { createSendLimits, type SendLimitSettings } from '../../src/auth-methods/one-time-codes/send-limits.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `tessera_t_${randomBytes(6).toString('hex')}_otc:`;
const secret = 'integration-secret-0123456789';

let raw: RedisClientType;
let storeA: KvStore;
let storeB: KvStore;

before(async () => {
  raw = createClient({ url: REDIS_URL });
  await raw.connect();
  [storeA, storeB] = await Promise.all([createRedisStore({ url: REDIS_URL, prefix }), createRedisStore({ url: REDIS_URL, prefix })]);
});

after(async () => {
  await Promise.all([storeA?.close(), storeB?.close()]);
  const keys = await allKeys();
  if (keys.length > 0) await raw.del(keys);
  await raw.close();
});

async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
  return keys;
}

/** two "processes" sharing Redis */
const pair = (now?: () => number) => [createOneTimeCodes({ store: storeA, secret, now }), createOneTimeCodes({ store: storeB, secret, now })] as const;

const base: IssueInput = {
  tenantId: 'tenant-r', purpose: 'login', channel: 'email', identifier: 'carol@example.com',
  interactionUid: null, codeLength: 6, ttlSeconds: 600, maxAttempts: 5, withLink: false,
};
const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');

test('nothing in Redis holds a code, a link token or an identifier, and every key expires', async () => {
  const [codes, other] = pair();
  const secrets: string[] = [];
  for (const [channel, identifier] of [['email', 'carol@example.com'], ['sms', '+919812345678']] as const) {
    const issued = await codes.issue({ ...base, channel, identifier, codeLength: 8, withLink: true, data: { name: 'Carol Danvers' } });
    secrets.push(issued.code, issued.linkToken!, identifier, identifier.slice(1));
    await codes.update(issued.challenge, { name: 'Carol Danvers', passwordHash: 'hash-of-password' });
    await other.recordDelivery(issued.challenge, { channel: 'sms', verification: { provider: 'twilio', ref: 'VE0001' } });
    await other.verifyCode(base.tenantId, issued.challenge.id, wrongFor(issued.code));
    const again = await codes.reissue(issued.challenge, 0);
    assert.ok('code' in again);
    secrets.push(again.code, again.linkToken!);
  }
  const keys = await allKeys();
  assert.ok(keys.length >= 10, `${keys.length} keys`);
  for (const key of keys) {
    const type = await raw.type(key);
    const values = type === 'string' ? [(await raw.get(key)) ?? ''] : type === 'set' ? await raw.sMembers(key) : await raw.lRange(key, 0, -1);
    for (const text of [key, ...values]) {
      for (const s of secrets) assert.ok(!text.includes(s), `${key} holds a secret`);
      assert.ok(!/carol|danvers|hash-of-password/i.test(text), `${key} holds plaintext`);
    }
    const ttl = await raw.ttl(key);
    assert.ok(ttl > 0, `${key} has no expiry (${ttl})`);
  }
});

describe('concurrent attempts across processes', () => {
  test('20 concurrent wrong guesses: four are answered wrong, the rest locked, and the right code stays locked', async () => {
    const [a, b] = pair();
    const { challenge, code } = await a.issue(base);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).verifyCode(base.tenantId, challenge.id, wrongFor(code))));
    const wrong = results.filter((r) => r.status === 'wrong');
    assert.equal(wrong.length, 4);
    assert.deepEqual(wrong.map((r) => (r.status === 'wrong' ? r.attemptsLeft : -1)).sort(), [1, 2, 3, 4]);
    assert.equal(results.filter((r) => r.status === 'locked').length, 16);
    assert.deepEqual(await a.verifyCode(base.tenantId, challenge.id, code), { status: 'locked' });
    assert.deepEqual(await b.verifyCode(base.tenantId, challenge.id, code), { status: 'locked' });
  });

  test('a concurrent brute force that includes the right code: at most maxAttempts guesses are judged', async () => {
    const [a, b] = pair();
    const { challenge, code } = await a.issue({ ...base, codeLength: 4 });
    const guesses = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
    const results = await Promise.all(guesses.map((g, i) => (i % 2 ? a : b).verifyCode(base.tenantId, challenge.id, g)));
    const count = (s: string) => results.filter((r) => r.status === s).length;
    assert.ok(count('ok') <= 1);
    assert.ok(count('ok') + count('wrong') <= 5, `${count('ok') + count('wrong')} judged`);
    const after = await a.verifyCode(base.tenantId, challenge.id, code);
    assert.equal(after.status, count('ok') === 1 ? 'expired' : 'locked');
  });

  test('a right code sent after maxAttempts concurrent wrong ones is not judged', async () => {
    const [a] = pair();
    const { challenge, code } = await a.issue(base);
    // One connection keeps the order: the right guess is counted 20th.
    const guesses = [...Array.from({ length: 19 }, () => wrongFor(code)), code];
    const results = await Promise.all(guesses.map((g) => a.verifyCode(base.tenantId, challenge.id, g)));
    assert.deepEqual(results.at(-1), { status: 'locked' });
    assert.equal(results.filter((r) => r.status === 'wrong').length, 4);
  });

  test('concurrent right answers: exactly one ok, every other one expired', async () => {
    const [a, b] = pair();
    const { challenge, code } = await a.issue({ ...base, maxAttempts: 10 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).verifyCode(base.tenantId, challenge.id, code)));
    assert.equal(results.filter((r) => r.status === 'ok').length, 1);
    assert.equal(results.filter((r) => r.status === 'expired').length, 9);
  });

  test('concurrent link consumption: exactly one wins', async () => {
    const [a, b] = pair();
    const { linkToken } = await a.issue({ ...base, withLink: true });
    const found = await b.findByLink(base.tenantId, linkToken!);
    assert.ok(found);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).consume(found)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await a.findByLink(base.tenantId, linkToken!), null);
  });
});

test('Redis TTLs alone expire a challenge and its link', async () => {
  // A clock that never moves: only the keys' TTLs can make the challenge expire here.
  const frozen = Date.now();
  const [a] = pair(() => frozen);
  const { challenge, code, linkToken } = await a.issue({ ...base, ttlSeconds: 1, withLink: true });
  assert.ok(await a.get(base.tenantId, challenge.id));
  await sleep(1_200);
  assert.equal(await a.get(base.tenantId, challenge.id), null);
  assert.equal(await a.findByLink(base.tenantId, linkToken!), null);
  assert.deepEqual(await a.verifyCode(base.tenantId, challenge.id, code), { status: 'expired' });
});

describe('send limits on Redis', () => {
  const limits: SendLimitSettings = {
    perIdentifier: { limit: 3, windowSeconds: 60 },
    perIp: { limit: 1000, windowSeconds: 60 },
    perTenant: { limit: 1000, windowSeconds: 60 },
    smsDailyCap: 5,
  };
  const both = () => [storeA, storeB].map((store) => createSendLimits({ limiter: createRateLimiter(store), store }));

  test('concurrent sends to one identifier never exceed its limit', async () => {
    const [a, b] = both();
    const take = (i: number) => (i % 2 ? a! : b!).take({ tenantId: 'tenant-r', identifier: 'dave@example.com', ip: '203.0.113.9', channel: 'email', limits });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => take(i)));
    assert.equal(results.filter((r) => r.allowed).length, 3);
  });

  test('concurrent SMS never exceed the daily cap', async () => {
    const [a, b] = both();
    const take = (i: number) => (i % 2 ? a! : b!).take({ tenantId: 'tenant-cap', identifier: `+1415555${String(i).padStart(4, '0')}`, ip: `192.0.2.${i}`, channel: 'sms', limits });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => take(i)));
    assert.equal(results.filter((r) => r.allowed).length, 5);
    assert.ok(results.every((r) => r.allowed || (r.reason === 'sms_daily_cap' && r.retryAfterSeconds > 0 && r.retryAfterSeconds <= 86_400)));
  });
});
