import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';

const rule = { limit: 3, windowSeconds: 60 };
const stores: KvStore[] = [];

function newStore(): KvStore {
  const store = createMemoryStore({ prefix: 'rl-test:' });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

test('allows up to the limit, then refuses with a retry delay', async () => {
  const limiter = createRateLimiter(newStore());
  const decisions = [];
  for (let i = 0; i < 4; i++) decisions.push(await limiter.hit('login', 'alice@example.com', rule));

  assert.deepEqual(
    decisions.slice(0, 3).map((d) => [d.allowed, d.remaining, d.retryAfterSeconds]),
    [
      [true, 2, 0],
      [true, 1, 0],
      [true, 0, 0],
    ],
  );
  const refused = decisions[3]!;
  assert.equal(refused.allowed, false);
  assert.equal(refused.remaining, 0);
  assert.ok(refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 60, `retryAfter ${refused.retryAfterSeconds}`);
});

test('subjects and buckets are counted independently', async () => {
  const limiter = createRateLimiter(newStore());
  for (let i = 0; i < 3; i++) await limiter.hit('login', 'alice@example.com', rule);
  assert.equal((await limiter.hit('login', 'alice@example.com', rule)).allowed, false);

  const bob = await limiter.hit('login', 'bob@example.com', rule);
  assert.deepEqual([bob.allowed, bob.remaining], [true, 2]);
  const otherBucket = await limiter.hit('otp-send', 'alice@example.com', rule);
  assert.deepEqual([otherBucket.allowed, otherBucket.remaining], [true, 2]);
});

test('case and surrounding blanks do not buy a fresh counter', async () => {
  const limiter = createRateLimiter(newStore());
  await limiter.hit('login', 'alice@example.com', rule);
  await limiter.hit('login', 'Alice@Example.com', rule);
  const third = await limiter.hit('login', ' ALICE@example.com ', rule);
  assert.equal(third.remaining, 0);
  assert.equal((await limiter.hit('login', 'alice@example.com', rule)).allowed, false);
});

test('reset clears the subject’s counter only', async () => {
  const limiter = createRateLimiter(newStore());
  for (let i = 0; i < 4; i++) {
    await limiter.hit('login', 'alice@example.com', rule);
    await limiter.hit('login', '203.0.113.7', rule);
  }
  await limiter.reset('login', 'alice@example.com');

  const alice = await limiter.hit('login', 'alice@example.com', rule);
  assert.deepEqual([alice.allowed, alice.remaining, alice.retryAfterSeconds], [true, 2, 0]);
  assert.equal((await limiter.peek('login', '203.0.113.7', rule)).allowed, false);
});

test('peek reads without counting and says whether the next hit would pass', async () => {
  const limiter = createRateLimiter(newStore());
  const fresh = await limiter.peek('login', 'carol@example.com', rule);
  assert.deepEqual(fresh, { allowed: true, remaining: 3, retryAfterSeconds: 0 });
  for (let i = 0; i < 5; i++) await limiter.peek('login', 'carol@example.com', rule);

  assert.equal((await limiter.hit('login', 'carol@example.com', rule)).remaining, 2, 'peeks were not counted');
  await limiter.hit('login', 'carol@example.com', rule);
  assert.deepEqual(await limiter.peek('login', 'carol@example.com', rule), {
    allowed: true,
    remaining: 1,
    retryAfterSeconds: 0,
  });
  await limiter.hit('login', 'carol@example.com', rule);
  const exhausted = await limiter.peek('login', 'carol@example.com', rule);
  assert.equal(exhausted.allowed, false);
  assert.equal(exhausted.remaining, 0);
  assert.ok(exhausted.retryAfterSeconds > 0);
});

test('reserve counts before the caller judges: concurrent reservations get at most the limit allowed', async () => {
  const limiter = createRateLimiter(newStore());
  const reservations = await Promise.all(Array.from({ length: 12 }, () => limiter.reserve('login', 'erin@example.com', rule)));
  assert.equal(reservations.filter((r) => r.allowed).length, 3);
  for (const refused of reservations.filter((r) => !r.allowed)) assert.ok(refused.retryAfterSeconds > 0);
  assert.equal((await limiter.reserve('login', 'erin@example.com', rule)).allowed, false);
});

test('a released reservation is given back once, however often release is called', async () => {
  const limiter = createRateLimiter(newStore());
  const first = await limiter.reserve('login', 'frank@example.com', rule);
  await limiter.reserve('login', 'frank@example.com', rule);
  await first.release();
  await first.release();
  assert.equal((await limiter.peek('login', 'frank@example.com', rule)).remaining, 2);
});

test('the store never sees the raw subject, only its SHA-256', async () => {
  const keys: string[] = [];
  const store = newStore();
  // Records every key the limiter hands to the store, whatever the method.
  const spy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const first = args[0];
        if (typeof first === 'string') keys.push(first);
        if (Array.isArray(first)) keys.push(...(first as string[]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const limiter = createRateLimiter(spy);
  const subject = 'dave@example.com';
  for (let i = 0; i < 4; i++) await limiter.hit('login', subject, rule);
  await limiter.peek('login', subject, rule);
  await limiter.reset('login', subject);

  assert.ok(keys.length >= 6, `saw ${keys.length} keys`);
  const digest = createHash('sha256').update(subject).digest('base64url');
  for (const key of keys) {
    assert.ok(!key.toLowerCase().includes('dave'), `raw subject in key ${key}`);
    assert.ok(key.includes(digest), `key ${key} is not derived from the subject's SHA-256`);
  }
});

test('rejects rules that cannot be enforced', async () => {
  const limiter = createRateLimiter(newStore());
  await assert.rejects(limiter.hit('login', 'x', { limit: 0, windowSeconds: 60 }), RangeError);
  await assert.rejects(limiter.hit('login', 'x', { limit: 3, windowSeconds: 0.5 }), RangeError);
});
