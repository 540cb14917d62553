import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { ChallengeGoneError, createOneTimeCodes, type IssueInput } from '../../src/auth-methods/one-time-codes/one-time-codes.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** a memory store that remembers every key and value ever written to it, whatever the method */
function recordingStore(): { store: KvStore; written: string[] } {
  const inner = createMemoryStore({ prefix: 'otc-test:' });
  stores.push(inner);
  const written: string[] = [];
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        for (const arg of args) {
          if (typeof arg === 'string') written.push(arg);
          if (Array.isArray(arg)) written.push(...(arg as string[]));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, written };
}

// 2023-11-14T22:13:20Z: few distinct digits, so an 8-digit code cannot hide inside a stored timestamp by chance.
const T0 = 1_700_000_000_000;

function setup(options: { maxLifetimeSeconds?: number } = {}) {
  const { store, written } = recordingStore();
  let clock = T0;
  const codes = createOneTimeCodes({ store, secret: 'unit-test-secret-0123456789', now: () => clock, ...options });
  return { codes, store, written, advance: (ms: number) => (clock += ms), now: () => clock };
}

const base: IssueInput = {
  tenantId: 'tenant-a', purpose: 'login', channel: 'email', identifier: 'alice@example.com',
  interactionUid: 'int-1', codeLength: 6, ttlSeconds: 600, maxAttempts: 5, withLink: false,
};
const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');

describe('issuing', () => {
  test('codes are digits of the asked length, and differ', async () => {
    const { codes } = setup();
    for (const codeLength of [4, 5, 6, 7, 8]) {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const { code } = await codes.issue({ ...base, codeLength });
        assert.match(code, new RegExp(`^\\d{${codeLength}}$`));
        seen.add(code);
      }
      assert.ok(seen.size >= 15, `only ${seen.size} distinct ${codeLength}-digit codes in 20`);
    }
  });

  test('refuses code lengths outside 4–8', async () => {
    const { codes } = setup();
    for (const codeLength of [0, 3, 9, 6.5]) {
      await assert.rejects(codes.issue({ ...base, codeLength }), RangeError, `length ${codeLength}`);
    }
  });

  test('a fixed code (sandbox test recipients) is used for the first send and every resend, and stored sealed', async () => {
    const { codes, written } = setup();
    const { challenge, code } = await codes.issue({ ...base, fixedCode: '24681357' });
    assert.equal(code, '24681357');
    const again = await codes.reissue(challenge, 0);
    assert.ok('code' in again);
    assert.equal(again.code, '24681357');
    assert.ok(written.every((v) => !v.includes('24681357')), 'the fixed code is not stored in the clear');
    assert.equal((await codes.verifyCode('tenant-a', challenge.id, '24681357')).status, 'ok');
    await assert.rejects(codes.issue({ ...base, fixedCode: '12ab' }), RangeError);
  });

  test('ids and link tokens are long random url-safe strings', async () => {
    const { codes } = setup();
    const a = await codes.issue({ ...base, withLink: true });
    const b = await codes.issue({ ...base, withLink: true });
    assert.match(a.challenge.id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(a.linkToken!, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.challenge.id, b.challenge.id);
    assert.notEqual(a.linkToken, b.linkToken);
    assert.equal((await codes.issue(base)).linkToken, null);
  });

  test('get returns the challenge as issued', async () => {
    const { codes } = setup();
    const { challenge } = await codes.issue({ ...base, browserBinding: 'b1', data: { name: 'Alice' } });
    assert.deepEqual(await codes.get('tenant-a', challenge.id), challenge);
    assert.deepEqual(challenge, {
      id: challenge.id, tenantId: 'tenant-a', purpose: 'login', channel: 'email', identifier: 'alice@example.com',
      interactionUid: 'int-1', browserBinding: 'b1', expiresAt: T0 + 600_000, maxAttempts: 5, sentAt: T0,
      providerVerification: null, deliveredVia: null, data: { name: 'Alice' },
    });
    assert.equal(await codes.get('tenant-b', challenge.id), null, 'another tenant cannot see it');
    assert.equal(await codes.get('tenant-a', 'x'.repeat(22)), null);
    assert.equal(await codes.get('tenant-a', 'not an id:rec'), null);
  });
});

test('nothing stored holds the code, the link token or the raw identifier', async () => {
  const { codes, written } = setup();
  const secrets: string[] = [];
  for (const [channel, identifier] of [['email', 'alice@example.com'], ['sms', '+919876543210']] as const) {
    const issued = await codes.issue({ ...base, channel, identifier, codeLength: 8, withLink: true, data: { note: 'hello' } });
    secrets.push(issued.code, issued.linkToken!, identifier, identifier.replace('+', ''));
    await codes.update(issued.challenge, { passwordHash: 'pw-hash-value' });
    await codes.recordDelivery(issued.challenge, { channel: 'sms', verification: { provider: 'twilio', ref: 'VE123' } });
    await codes.verifyCode('tenant-a', issued.challenge.id, wrongFor(issued.code));
    await codes.findByLink('tenant-a', issued.linkToken!);
  }
  const first = await codes.issue({ ...base, codeLength: 8, withLink: true });
  const again = await codes.reissue(first.challenge, 0);
  assert.ok('code' in again);
  secrets.push(first.code, first.linkToken!, again.code, again.linkToken!);
  assert.equal((await codes.verifyCode('tenant-a', first.challenge.id, again.code)).status, 'ok');

  assert.ok(written.length > 30, `recorded ${written.length} writes`);
  for (const value of written) {
    for (const secret of secrets) assert.ok(!value.includes(secret), `stored "${value}" contains a secret`);
    assert.ok(!value.includes('alice') && !value.includes('hello') && !value.includes('pw-hash'), `plaintext in "${value}"`);
  }
});

describe('checking a code', () => {
  test('wrong codes count down, the last allowed wrong one locks, and the right code is refused after', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue({ ...base, withLink: true });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await codes.verifyCode('tenant-a', challenge.id, wrongFor(code)));
    assert.deepEqual(results, [
      { status: 'wrong', attemptsLeft: 4 },
      { status: 'wrong', attemptsLeft: 3 },
      { status: 'wrong', attemptsLeft: 2 },
      { status: 'wrong', attemptsLeft: 1 },
      { status: 'locked' },
    ]);
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'locked' });
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'locked' });
    assert.equal(await codes.get('tenant-a', challenge.id), null);
    assert.equal(await codes.consume(challenge), false);
    await assert.rejects(codes.reissue(challenge, 0), ChallengeGoneError);
  });

  test('the right code after some wrong ones is accepted once, then reads as expired', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue(base);
    for (let i = 0; i < 4; i++) await codes.verifyCode('tenant-a', challenge.id, wrongFor(code));
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'ok', challenge });
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'expired' });
    assert.equal(await codes.get('tenant-a', challenge.id), null);
    assert.equal(await codes.consume(challenge), false);
  });

  test('odd input is just a wrong answer; unknown ids and other tenants read as expired', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue(base);
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, ''), { status: 'wrong', attemptsLeft: 4 });
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, `${code} `), { status: 'wrong', attemptsLeft: 3 });
    assert.deepEqual(await codes.verifyCode('tenant-b', challenge.id, code), { status: 'expired' });
    assert.deepEqual(await codes.verifyCode('tenant-a', 'A'.repeat(22), code), { status: 'expired' });
    assert.deepEqual(await codes.verifyCode('tenant-a', '../etc', code), { status: 'expired' });
    assert.equal((await codes.verifyCode('tenant-a', challenge.id, code)).status, 'ok');
  });

  test('a code expires with its TTL and an expired check is not counted', async () => {
    const { codes, advance } = setup();
    const { challenge, code } = await codes.issue({ ...base, ttlSeconds: 120 });
    advance(119_000);
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, wrongFor(code)), { status: 'wrong', attemptsLeft: 4 });
    advance(1_000);
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'expired' });
    assert.equal(await codes.get('tenant-a', challenge.id), null);
    assert.equal(await codes.consume(challenge), false);
  });

  test('concurrent guesses: only maxAttempts of them are judged, whatever their number', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue({ ...base, codeLength: 4 });
    // Every possible 4-digit code at once: a brute force that races the counter.
    const guesses = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
    const results = await Promise.all(guesses.map((g) => codes.verifyCode('tenant-a', challenge.id, g)));
    const count = (s: string) => results.filter((r) => r.status === s).length;
    assert.ok(count('ok') <= 1, `${count('ok')} ok`);
    assert.ok(count('ok') + count('wrong') <= 5, `${count('ok') + count('wrong')} guesses judged`);
    assert.equal(count('ok') + count('wrong') + count('locked') + count('expired'), 10_000);
    const after = await codes.verifyCode('tenant-a', challenge.id, code);
    assert.ok(after.status === 'locked' || (after.status === 'expired' && count('ok') === 1), `then ${after.status}`);
  });

  test('a right code that arrives after maxAttempts concurrent wrong ones is not judged', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue(base);
    const guesses = [...Array.from({ length: 19 }, () => wrongFor(code)), code];
    const results = await Promise.all(guesses.map((g) => codes.verifyCode('tenant-a', challenge.id, g)));
    assert.deepEqual(results.at(-1), { status: 'locked' });
    assert.equal(results.filter((r) => r.status === 'wrong').length, 4);
  });

  test('guesses past maxAttempts are refused even before the lock is written (another process being slow)', async () => {
    const inner = createMemoryStore();
    stores.push(inner);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The attempt that locks the challenge stalls before writing its marker, as a slow process would.
    const store: KvStore = { ...inner, kind: inner.kind, getMany: inner.getMany, setIfAbsent: async (k, v, ttl) => {
      if (v === 'locked') await gate;
      return inner.setIfAbsent(k, v, ttl);
    } };
    const codes = createOneTimeCodes({ store, secret: 'unit-test-secret-0123456789' });
    const { challenge, code } = await codes.issue(base);
    const wrong = Promise.all(Array.from({ length: 5 }, () => codes.verifyCode('tenant-a', challenge.id, wrongFor(code))));
    const late = await codes.verifyCode('tenant-a', challenge.id, code);
    release();
    assert.equal((await wrong).at(-1)?.status, 'locked');
    assert.deepEqual(late, { status: 'locked' });
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'locked' });
  });

  test('concurrent right answers: exactly one ok, the others expired', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue(base);
    const results = await Promise.all(Array.from({ length: 10 }, () => codes.verifyCode('tenant-a', challenge.id, code)));
    assert.equal(results.filter((r) => r.status === 'ok').length, 1);
    assert.equal(results.filter((r) => r.status === 'expired').length, 9);
  });
});

describe('provider-verified codes', () => {
  test('external checks count attempts under the same rules', async () => {
    const { codes } = setup();
    const { challenge } = await codes.issue({ ...base, channel: 'sms', identifier: '+14155550100' });
    assert.deepEqual(await codes.verifyThroughProvider('tenant-a', challenge.id, async () => 'wrong'), { status: 'wrong', attemptsLeft: 4 });
    assert.equal((await codes.verifyThroughProvider('tenant-a', challenge.id, async () => 'approved')).status, 'ok');
    assert.deepEqual(await codes.verifyThroughProvider('tenant-a', challenge.id, async () => 'approved'), { status: 'expired' });

    const other = await codes.issue({ ...base, channel: 'sms', identifier: '+14155550100', maxAttempts: 2 });
    assert.deepEqual(await codes.verifyThroughProvider('tenant-a', other.challenge.id, async () => 'wrong'), { status: 'wrong', attemptsLeft: 1 });
    assert.deepEqual(await codes.verifyThroughProvider('tenant-a', other.challenge.id, async () => 'wrong'), { status: 'locked' });
    assert.deepEqual(await codes.verifyThroughProvider('tenant-a', other.challenge.id, async () => 'approved'), { status: 'locked' });
  });

  test('concurrent guesses: only those within maxAttempts reach the provider (the attempt is reserved before it is asked)', async () => {
    const { codes } = setup();
    const { challenge } = await codes.issue({ ...base, channel: 'sms', identifier: '+14155550100' });
    let asked = 0;
    const slowWrong = async () => {
      asked += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'wrong' as const;
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => codes.verifyThroughProvider('tenant-a', challenge.id, slowWrong)));
    assert.equal(asked, 5, 'the provider was asked once per attempt allowed, no more');
    assert.equal(results.filter((r) => r.status === 'wrong').length, 4);
    assert.equal(results.filter((r) => r.status === 'locked').length, 16);
    assert.equal((await codes.verifyThroughProvider('tenant-a', challenge.id, async () => { asked += 1; return 'approved'; })).status, 'locked');
    assert.equal(asked, 5);
  });

  test('once the provider owns the code, the unsent local code does not work', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue({ ...base, channel: 'sms', identifier: '+14155550100' });
    await codes.recordDelivery(challenge, { channel: 'sms', verification: { provider: 'twilio', ref: 'VE42' } });
    assert.deepEqual((await codes.get('tenant-a', challenge.id))?.providerVerification, { provider: 'twilio', ref: 'VE42' });
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'wrong', attemptsLeft: 4 });
    const again = await codes.reissue(challenge, 0);
    assert.ok('code' in again);
    assert.equal(again.challenge.providerVerification, null, 'a new code drops the old provider verification');
    assert.equal((await codes.get('tenant-a', challenge.id))?.providerVerification, null);
    assert.equal((await codes.verifyCode('tenant-a', challenge.id, again.code)).status, 'ok');
  });

  test('a code that went by another channel than asked is remembered as such, and still checked by us', async () => {
    const { codes } = setup();
    const { challenge, code } = await codes.issue({ ...base, channel: 'whatsapp', identifier: '+14155550100' });
    assert.equal(challenge.deliveredVia, null);
    await codes.recordDelivery(challenge, { channel: 'sms', verification: null });
    const stored = await codes.get('tenant-a', challenge.id);
    assert.deepEqual([stored?.channel, stored?.deliveredVia, stored?.providerVerification], ['whatsapp', 'sms', null]);
    const again = await codes.reissue(challenge, 0);
    assert.ok('code' in again);
    assert.equal((await codes.get('tenant-a', challenge.id))?.deliveredVia, null, 'a new code is delivered anew');
    assert.equal((await codes.verifyCode('tenant-a', challenge.id, code)).status, 'wrong');
    const ok = await codes.verifyCode('tenant-a', challenge.id, again.code);
    assert.equal(ok.status, 'ok');
  });
});

describe('resending', () => {
  test('refused inside the cooldown; a new code replaces the old one and keeps the attempts', async () => {
    const { codes, advance, now } = setup();
    const { challenge, code, linkToken } = await codes.issue({ ...base, withLink: true });
    await codes.verifyCode('tenant-a', challenge.id, wrongFor(code));
    advance(20_000);
    assert.deepEqual(await codes.reissue(challenge, 60), { retryAfterSeconds: 40 });
    advance(40_000);
    const again = await codes.reissue(challenge, 60);
    assert.ok('code' in again);
    assert.match(again.code, /^\d{6}$/);
    assert.match(again.linkToken!, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(again.linkToken, linkToken);
    assert.equal(again.challenge.sentAt, now());
    assert.equal(again.challenge.expiresAt, now() + 600_000, 'the new code gets a full TTL');
    assert.deepEqual(await codes.get('tenant-a', challenge.id), again.challenge);

    assert.equal(await codes.findByLink('tenant-a', linkToken!), null, 'old link is dead');
    assert.equal((await codes.findByLink('tenant-a', again.linkToken!))?.id, challenge.id);
    if (code !== again.code) {
      assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'wrong', attemptsLeft: 3 }, 'old code is dead, attempts kept');
    }
    advance(1_000);
    assert.deepEqual(await codes.reissue(again.challenge, 60), { retryAfterSeconds: 59 }, 'the cooldown restarts');
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, again.code), { status: 'ok', challenge: again.challenge });
  });

  test('concurrent resends make one new code', async () => {
    const { codes } = setup();
    const { challenge } = await codes.issue(base);
    const results = await Promise.all(Array.from({ length: 5 }, () => codes.reissue(challenge, 0)));
    assert.equal(results.filter((r) => 'code' in r).length, 1);
  });

  test('resends cannot keep a challenge alive past its lifetime', async () => {
    const { codes, advance } = setup({ maxLifetimeSeconds: 900 });
    const { challenge } = await codes.issue(base);
    advance(500_000);
    const again = await codes.reissue(challenge, 0);
    assert.ok('code' in again);
    assert.equal(again.challenge.expiresAt, T0 + 900_000);
    advance(400_000);
    assert.equal(await codes.get('tenant-a', challenge.id), null);
    await assert.rejects(codes.reissue(challenge, 0), ChallengeGoneError);
  });
});

describe('links', () => {
  test('findByLink does not consume; consume is single use', async () => {
    const { codes } = setup();
    const { challenge, code, linkToken } = await codes.issue({ ...base, withLink: true, browserBinding: 'cookie-hash' });
    assert.deepEqual(await codes.findByLink('tenant-a', linkToken!), challenge);
    assert.deepEqual(await codes.findByLink('tenant-a', linkToken!), challenge);
    assert.equal(await codes.findByLink('tenant-b', linkToken!), null);
    const tampered = (linkToken![0] === 'A' ? 'B' : 'A') + linkToken!.slice(1);
    assert.equal(await codes.findByLink('tenant-a', tampered), null);
    assert.equal(await codes.findByLink('tenant-a', 'short'), null);

    assert.equal(await codes.consume(challenge), true);
    assert.equal(await codes.consume(challenge), false);
    assert.equal(await codes.findByLink('tenant-a', linkToken!), null);
    assert.deepEqual(await codes.verifyCode('tenant-a', challenge.id, code), { status: 'expired' }, 'the code went with the link');
  });

  test('concurrent consumption: exactly one wins', async () => {
    const { codes } = setup();
    const { challenge } = await codes.issue({ ...base, withLink: true });
    const results = await Promise.all(Array.from({ length: 10 }, () => codes.consume(challenge)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  test('a link expires with its challenge', async () => {
    const { codes, advance } = setup();
    const { linkToken } = await codes.issue({ ...base, withLink: true, ttlSeconds: 300 });
    advance(300_000);
    assert.equal(await codes.findByLink('tenant-a', linkToken!), null);
  });
});

test('update replaces the flow data only', async () => {
  const { codes } = setup();
  const { challenge, code } = await codes.issue({ ...base, data: { step: 1 } });
  await codes.update(challenge, { step: 2, name: 'Alice' });
  const updated = await codes.get('tenant-a', challenge.id);
  assert.deepEqual(updated, { ...challenge, data: { step: 2, name: 'Alice' } });
  assert.equal((await codes.verifyCode('tenant-a', challenge.id, code)).status, 'ok');
  await assert.rejects(codes.update(challenge, {}), ChallengeGoneError);
});

test('a challenge sealed under a replaced secret reads as gone, not as an error', async () => {
  const { store } = recordingStore();
  const before = createOneTimeCodes({ store, secret: 'old-secret-0123456789' });
  const after = createOneTimeCodes({ store, secret: 'new-secret-0123456789' });
  const { challenge, code } = await before.issue(base);
  assert.equal(await after.get('tenant-a', challenge.id), null);
  assert.deepEqual(await after.verifyCode('tenant-a', challenge.id, code), { status: 'expired' });
  assert.equal((await before.verifyCode('tenant-a', challenge.id, code)).status, 'ok');
});

