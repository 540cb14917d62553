import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';
import { reserveAttempt, type AttemptLimit } from '../../src/store/attempt-guard.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup() {
  const store = createMemoryStore({ prefix: 'attempt-test:' });
  stores.push(store);
  const limiter = createRateLimiter(store);
  const limits: AttemptLimit[] = [
    { bucket: 'account', subject: 'alice@example.com', rule: { limit: 3, windowSeconds: 60 }, onSuccess: 'reset' },
    { bucket: 'ip', subject: '203.0.113.7', rule: { limit: 5, windowSeconds: 60 }, onSuccess: 'release' },
  ];
  return { limiter, limits };
}

test('concurrent attempts: at most the tightest limit are allowed, failures stay counted', async () => {
  const { limiter, limits } = setup();
  const attempts = await Promise.all(Array.from({ length: 20 }, () => reserveAttempt(limiter, limits)));
  assert.equal(attempts.filter((a) => a.allowed).length, 3);
  const refused = attempts.find((a) => !a.allowed)!;
  assert.ok(!refused.allowed && refused.retryAfterSeconds >= 1);
  assert.equal((await reserveAttempt(limiter, limits)).allowed, false, 'the three failures still lock the account');
  // attempts refused on the account never reached the IP's limit: only the three judged ones count there
  assert.equal((await limiter.peek('ip', '203.0.113.7', limits[1]!.rule)).remaining, 2);
});

test('an attempt refused by a later limit gives back what it reserved on the earlier ones', async () => {
  const { limiter, limits } = setup();
  for (let i = 0; i < 5; i++) await limiter.hit('ip', '203.0.113.7', limits[1]!.rule);
  const refused = await reserveAttempt(limiter, limits);
  assert.equal(refused.allowed, false);
  assert.equal((await limiter.peek('account', 'alice@example.com', limits[0]!.rule)).remaining, 3, 'not judged, so no failure');
});

test('a success clears the account’s failures and does not count against the IP', async () => {
  const { limiter, limits } = setup();
  await reserveAttempt(limiter, limits);
  await reserveAttempt(limiter, limits);
  const right = await reserveAttempt(limiter, limits);
  assert.ok(right.allowed);
  await right.succeeded();
  assert.equal((await limiter.peek('account', 'alice@example.com', limits[0]!.rule)).remaining, 3);
  assert.equal((await limiter.peek('ip', '203.0.113.7', limits[1]!.rule)).remaining, 3, 'the two failures only');
});
