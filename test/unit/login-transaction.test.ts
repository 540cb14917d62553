// The login transaction: pure transitions under a fake clock, and its one-record store with compare-and-set.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { beginLogin, transition, type LoginPolicy, type LoginTransaction } from '../../src/login/login-transaction.machine.js';
import { createLoginTransactions } from '../../src/login/login-transaction.store.js';
import { ACR_MFA } from '../../src/oidc/step-up-policy.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const DAY = 86_400_000;
const policy = (overrides: Partial<LoginPolicy> = {}): LoginPolicy => ({
  policy: 'optional', graceDays: 7, requiredSince: null, trustedDeviceDays: 30,
  factors: { totp: true, passkey: true, sms: true, email: true }, ...overrides,
});

function fresh(overrides: { stepUp?: boolean } = {}): LoginTransaction {
  return beginLogin({ id: 'A'.repeat(22), tenantId: 't1', clientId: 'app', front: 'otp_api', method: 'email_otp', identifier: { kind: 'email', value: 'ann@example.com' }, challengeId: 'c1', ttlSeconds: 600, ...overrides }, T0);
}

/** drives a transaction through the first factor and the gate's assessment */
function afterFirstFactor(p: LoginPolicy, facts: { enrolledFactors: string[]; trustedDevice?: boolean }, at = T0 + 1000, tx = fresh()) {
  const first = transition(tx, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, p, at);
  assert.ok(first.ok);
  assert.equal(first.tx.state, 'first_factor_passed');
  return transition(first.tx, { type: 'second_factor_assessed', enrolledFactors: facts.enrolledFactors, trustedDevice: facts.trustedDevice ?? false }, p, at);
}

describe('login transaction machine (pure, fake clock)', () => {
  test('begins identified, with one expiry for the whole transaction', () => {
    const tx = fresh();
    assert.equal(tx.state, 'identified');
    assert.equal(tx.version, 1);
    assert.equal(tx.expiresAt, T0 + 600_000);
    assert.throws(() => beginLogin({ id: 'x', tenantId: 't', clientId: null, front: 'hosted', method: 'password', identifier: null, ttlSeconds: 0 }, T0), RangeError);
  });

  test('a user without a factor under an optional policy completes single-factor', () => {
    const r = afterFirstFactor(policy(), { enrolledFactors: [] });
    assert.ok(r.ok);
    assert.equal(r.tx.state, 'completed');
    assert.deepEqual(r.tx.amr, ['otp']);
    assert.equal(r.tx.acr, null);
    assert.equal(r.tx.userId, 'u1');
    assert.equal(r.tx.version, 3);
  });

  test('an enrolled user is asked for a second factor; proving it completes with mfa and the MFA acr', () => {
    const r = afterFirstFactor(policy(), { enrolledFactors: ['totp', 'recovery_code'] });
    assert.ok(r.ok);
    assert.equal(r.tx.state, 'second_factor_required');
    assert.deepEqual(r.tx.methods, ['totp', 'recovery_code']);
    const done = transition(r.tx, { type: 'second_factor_passed', method: 'totp', amr: ['otp'] }, policy(), T0 + 2000);
    assert.ok(done.ok);
    assert.equal(done.tx.state, 'completed');
    assert.deepEqual(done.tx.amr, ['otp', 'mfa']);
    assert.equal(done.tx.acr, ACR_MFA);
  });

  test('a factor that was not offered does not answer the second-factor step', () => {
    const r = afterFirstFactor(policy({ factors: { totp: true, passkey: false, sms: true, email: true } }), { enrolledFactors: ['totp', 'passkey'] });
    assert.ok(r.ok);
    assert.deepEqual(r.tx.methods, ['totp'], 'the policy no longer allows passkeys');
    const wrong = transition(r.tx, { type: 'second_factor_passed', method: 'passkey', amr: ['hwk'] }, policy(), T0 + 2000);
    assert.equal(wrong.ok, false);
    assert.equal(wrong.ok === false && wrong.error, 'login.invalid_transition');
    assert.equal(wrong.tx.state, 'second_factor_required');
  });

  test('a first factor whose method wants the email proven waits for it, then the second-factor decision follows', () => {
    const first = transition(fresh(), { type: 'first_factor_passed', userId: 'u1', method: 'password', amr: ['pwd'], verifyEmail: true }, null, T0 + 1000);
    assert.ok(first.ok);
    assert.deepEqual([first.tx.state, first.tx.methods, first.tx.userId], ['email_verification_required', ['email'], 'u1']);
    // no tokens and no second factor before the email is proven
    assert.equal(transition(first.tx, { type: 'second_factor_assessed', enrolledFactors: [], trustedDevice: false }, policy(), T0 + 1500).ok, false);
    assert.equal(transition(first.tx, { type: 'second_factor_passed', method: 'totp', amr: ['otp'] }, policy(), T0 + 1500).ok, false);
    const sent = transition(first.tx, { type: 'challenge_started', challengeId: 'v1' }, null, T0 + 2000);
    assert.ok(sent.ok);
    assert.equal(sent.tx.challengeId, 'v1');
    const proven = transition(sent.tx, { type: 'email_verified', amr: ['otp'] }, null, T0 + 3000);
    assert.ok(proven.ok);
    assert.deepEqual([proven.tx.state, proven.tx.amr, proven.tx.challengeId, proven.tx.methods], ['first_factor_passed', ['pwd', 'otp'], null, []]);
    const gate = transition(proven.tx, { type: 'second_factor_assessed', enrolledFactors: ['totp'], trustedDevice: false }, policy(), T0 + 4000);
    assert.equal(gate.tx.state, 'second_factor_required');
    // only that state takes the event, and it expires with the transaction
    assert.equal(transition(proven.tx, { type: 'email_verified', amr: ['otp'] }, null, T0 + 4000).ok, false);
    const late = transition(first.tx, { type: 'email_verified', amr: ['otp'] }, null, T0 + 600_000);
    assert.deepEqual([late.ok, late.tx.state], [false, 'expired']);
  });

  test('recovery codes alone are no enrolled factor', () => {
    const r = afterFirstFactor(policy(), { enrolledFactors: ['recovery_code'] });
    assert.ok(r.ok);
    assert.equal(r.tx.state, 'completed');
  });

  test('a trusted device skips the second factor, unless the client asked for a step-up or trust is off', () => {
    const trusted = afterFirstFactor(policy(), { enrolledFactors: ['totp'], trustedDevice: true });
    assert.equal(trusted.tx.state, 'completed');
    const noTrust = afterFirstFactor(policy({ trustedDeviceDays: 0 }), { enrolledFactors: ['totp'], trustedDevice: true });
    assert.equal(noTrust.tx.state, 'second_factor_required');
    const stepUp = afterFirstFactor(policy(), { enrolledFactors: ['totp'], trustedDevice: true }, T0 + 1000, fresh({ stepUp: true }));
    assert.equal(stepUp.tx.state, 'second_factor_required');
  });

  test('policy off completes even an enrolled user, but a step-up still asks', () => {
    assert.equal(afterFirstFactor(policy({ policy: 'off' }), { enrolledFactors: ['totp'] }).tx.state, 'completed');
    assert.equal(afterFirstFactor(policy({ policy: 'off' }), { enrolledFactors: ['totp'] }, T0 + 1000, fresh({ stepUp: true })).tx.state, 'second_factor_required');
  });

  test('a required policy asks for enrolment once its grace period is over, by the clock given', () => {
    const required = policy({ policy: 'required', graceDays: 7, requiredSince: new Date(T0).toISOString() });
    const inGrace = afterFirstFactor(required, { enrolledFactors: [] }, T0 + 6 * DAY, { ...fresh(), expiresAt: T0 + 30 * DAY });
    assert.equal(inGrace.tx.state, 'completed');
    const over = afterFirstFactor(required, { enrolledFactors: [] }, T0 + 7 * DAY, { ...fresh(), expiresAt: T0 + 30 * DAY });
    assert.equal(over.tx.state, 'enrolment_required');
    assert.deepEqual(over.tx.methods, ['totp', 'passkey', 'sms', 'email']);
    const enrolled = transition(over.tx, { type: 'enrolled', method: 'totp', amr: ['otp'] }, required, T0 + 7 * DAY + 1);
    assert.ok(enrolled.ok);
    assert.equal(enrolled.tx.state, 'completed');
    assert.equal(enrolled.tx.acr, ACR_MFA);
  });

  test('a first factor that already carries mfa (a verifying passkey) completes at once', () => {
    const first = transition(fresh(), { type: 'first_factor_passed', userId: 'u1', method: 'passkey', amr: ['hwk', 'mfa'] }, policy(), T0 + 1);
    const r = transition(first.tx, { type: 'second_factor_assessed', enrolledFactors: ['passkey'], trustedDevice: false }, policy(), T0 + 1);
    assert.equal(r.tx.state, 'completed');
    assert.equal(r.tx.acr, ACR_MFA);
  });

  test('past expiresAt every event meets an expired transaction; exactly at expiresAt counts as expired', () => {
    const tx = fresh();
    const before = transition(tx, { type: 'challenge_started', challengeId: 'c2' }, policy(), tx.expiresAt - 1);
    assert.ok(before.ok);
    assert.equal(before.tx.challengeId, 'c2');
    const at = transition(tx, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, policy(), tx.expiresAt);
    assert.equal(at.ok, false);
    assert.equal(at.ok === false && at.error, 'login.expired');
    assert.equal(at.tx.state, 'expired');
    const again = transition(at.tx, { type: 'failed', reason: 'aborted' }, policy(), tx.expiresAt + 1);
    assert.equal(again.ok === false && again.error, 'login.expired');
  });

  test('terminal states accept nothing: no second completion, no revival of a failure', () => {
    const done = afterFirstFactor(policy(), { enrolledFactors: [] });
    for (const event of [
      { type: 'first_factor_passed', userId: 'u2', method: 'password', amr: ['pwd'] },
      { type: 'second_factor_assessed', enrolledFactors: [], trustedDevice: false },
      { type: 'failed', reason: 'late' },
    ] as const) {
      const r = transition(done.tx, event, policy(), T0 + 2000);
      assert.equal(r.ok, false);
      assert.equal(r.tx, done.tx, 'unchanged');
    }
    const failed = transition(fresh(), { type: 'failed', reason: 'locked' }, policy(), T0 + 1);
    assert.ok(failed.ok);
    assert.equal(failed.tx.failure, 'locked');
    const revived = transition(failed.tx, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, policy(), T0 + 2);
    assert.equal(revived.ok === false && revived.error, 'login.invalid_transition');
  });

  test('a completed sign-in is exchanged for tokens once, only by the app that started it, and not after expiry', () => {
    const done = afterFirstFactor(policy(), { enrolledFactors: [] });
    assert.equal(transition(done.tx, { type: 'tokens_issued', clientId: 'other' }, policy(), T0 + 2).ok, false);
    const issued = transition(done.tx, { type: 'tokens_issued', clientId: 'app' }, policy(), T0 + 2);
    assert.ok(issued.ok);
    assert.equal(issued.tx.redeemed, true);
    assert.equal(transition(issued.tx, { type: 'tokens_issued', clientId: 'app' }, policy(), T0 + 3).ok, false, 'once');
    const late = transition(done.tx, { type: 'tokens_issued', clientId: 'app' }, policy(), done.tx.expiresAt);
    assert.equal(late.ok === false && late.error, 'login.expired');
    const open = transition(fresh(), { type: 'tokens_issued', clientId: 'app' }, policy(), T0 + 2);
    assert.equal(open.ok === false && open.error, 'login.invalid_transition', 'not before completion');
  });

  test('events out of order change nothing', () => {
    const tx = fresh();
    for (const event of [
      { type: 'second_factor_assessed', enrolledFactors: [], trustedDevice: false },
      { type: 'second_factor_passed', method: 'totp', amr: ['otp'] },
      { type: 'enrolled', method: 'totp', amr: ['otp'] },
    ] as const) {
      const r = transition(tx, event, policy(), T0 + 1);
      assert.equal(r.ok === false && r.error, 'login.invalid_transition', event.type);
    }
  });
});

describe('login transaction store (one record, compare-and-set)', () => {
  const stores: KvStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  function setup() {
    const store = createMemoryStore({ prefix: 'ltx-test:' });
    stores.push(store);
    let clock = T0;
    const txs = createLoginTransactions({ store, secret: 'test secret for login transactions', now: () => clock });
    return { store, txs, advance: (ms: number) => { clock += ms; } };
  }
  const begin = (txs: ReturnType<typeof setup>['txs']) => txs.begin({ tenantId: 't1', clientId: 'app', front: 'otp_api', method: 'email_otp', identifier: { kind: 'email', value: 'ann@example.com' }, ttlSeconds: 600 });

  test('one sealed record named by the SHA-256 of the id, with the transaction\'s TTL', async () => {
    const { store, txs } = setup();
    const tx = await begin(txs);
    assert.match(tx.id, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(await txs.get('t1', tx.id), tx);
    assert.equal(await store.get(`login-tx:t1:${tx.id}`), null, 'not named by the id itself');
    const { createHash } = await import('node:crypto');
    const key = `login-tx:t1:${createHash('sha256').update(tx.id).digest('base64url')}`;
    const raw = await store.get(key);
    assert.ok(raw && !raw.includes('ann@example.com'), 'sealed');
    const ttl = await store.ttl(key);
    assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`);
    assert.equal(await txs.get('t2', tx.id), null, 'another tenant does not see it');
    assert.equal(await txs.get('t1', 'not an id'), null);
  });

  test('apply persists each transition; a stale or foreign event is refused and changes nothing', async () => {
    const { txs } = setup();
    const tx = await begin(txs);
    const first = await txs.apply('t1', tx.id, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, policy());
    assert.ok(first.ok);
    assert.equal((await txs.get('t1', tx.id))?.state, 'first_factor_passed');
    const stale = await txs.apply('t1', tx.id, { type: 'first_factor_passed', userId: 'u2', method: 'email_otp', amr: ['otp'] }, policy());
    assert.equal(stale.ok === false && stale.error, 'login.invalid_transition');
    assert.equal((await txs.get('t1', tx.id))?.userId, 'u1');
    const unknown = await txs.apply('t1', 'B'.repeat(22), { type: 'failed', reason: 'x' }, policy());
    assert.equal(unknown.ok === false && unknown.error, 'login.not_found');
  });

  test('beginWith writes the events\' outcome once, as apply would have judged them; a refused event stops it', async () => {
    const { store, txs } = setup();
    const input = { id: 'C'.repeat(22), tenantId: 't1', clientId: 'app', front: 'hosted' as const, method: 'password', identifier: null, ttlSeconds: 600 };
    const first = { event: { type: 'first_factor_passed' as const, userId: 'u1', method: 'password', amr: ['pwd'] }, policy: null };
    const assessed = { event: { type: 'second_factor_assessed' as const, enrolledFactors: ['totp', 'recovery_code'], trustedDevice: false }, policy: policy() };
    const both = await txs.beginWith(input, [first, assessed]);
    assert.ok(both.ok);
    assert.equal(both.tx.state, 'second_factor_required');
    assert.deepEqual(await txs.get('t1', input.id), both.tx, 'the record holds the last event\'s state');
    // the same events one by one, on a transaction begun alone: the same transaction
    const stepwise = await txs.begin({ ...input, id: 'D'.repeat(22) });
    await txs.apply('t1', stepwise.id, first.event, first.policy);
    const last = await txs.apply('t1', stepwise.id, assessed.event, assessed.policy);
    assert.ok(last.ok);
    assert.deepEqual({ ...both.tx, id: '', createdAt: 0 }, { ...last.tx, id: '', createdAt: 0 });
    // a refused event: its error, and the state before it written
    const refused = await txs.beginWith({ ...input, id: 'E'.repeat(22) }, [first, first]);
    assert.equal(refused.ok === false && refused.error, 'login.invalid_transition');
    assert.equal((await txs.get('t1', 'E'.repeat(22)))?.state, 'first_factor_passed');
    await assert.rejects(txs.beginWith(input, []), /collision/, 'an existing transaction is not overwritten');
    assert.ok(await store.get(`login-tx:t1:${(await import('node:crypto')).createHash('sha256').update(input.id).digest('base64url')}`));
  });

  test('50 concurrent second factors complete the transaction exactly once', async () => {
    const { txs } = setup();
    const tx = await begin(txs);
    await txs.apply('t1', tx.id, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, policy());
    const gate = await txs.apply('t1', tx.id, { type: 'second_factor_assessed', enrolledFactors: ['totp', 'recovery_code'], trustedDevice: false }, policy());
    assert.equal(gate.tx?.state, 'second_factor_required');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => txs.apply('t1', tx.id, { type: 'second_factor_passed', method: i % 2 ? 'totp' : 'recovery_code', amr: ['otp'] }, policy())));
    assert.equal(results.filter((r) => r.ok).length, 1);
    const stored = await txs.get('t1', tx.id);
    assert.equal(stored?.state, 'completed');
    assert.equal(stored?.version, 4);
  });

  test('expiry follows the given clock: a transaction past its time reads and answers as expired', async () => {
    const { txs, advance } = setup();
    const tx = await begin(txs);
    advance(600_000);
    assert.equal((await txs.get('t1', tx.id))?.state, 'expired');
    const late = await txs.apply('t1', tx.id, { type: 'first_factor_passed', userId: 'u1', method: 'email_otp', amr: ['otp'] }, policy());
    assert.equal(late.ok === false && late.error, 'login.expired');
  });
});
