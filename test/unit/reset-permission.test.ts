// The password-reset permission as a login transaction: its token is never written, it stays usable until it is
// used, it is used once even when raced, it belongs to one tenant and one interaction, and it expires by our clock.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createResetPermissions, resetPermissionTtl } from '../../src/auth-methods/password-reset/reset-permission.js';
import { createLoginTransactions } from '../../src/login/login-transaction.store.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup() {
  const store = createMemoryStore({ prefix: 'reset-permission-test:' });
  stores.push(store);
  const written: string[] = [];
  const recording: KvStore = Object.assign(Object.create(store) as KvStore, {
    set: (key: string, value: string, ttl: number) => { written.push(key, value); return store.set(key, value, ttl); },
    setIfAbsent: (key: string, value: string, ttl: number) => { written.push(key, value); return store.setIfAbsent(key, value, ttl); },
    compareAndSet: (key: string, expected: string, value: string, ttl: number) => { written.push(key, value); return store.compareAndSet(key, expected, value, ttl); },
  });
  let clock = Date.parse('2026-03-01T10:00:00Z');
  const resets = createResetPermissions({ logins: createLoginTransactions({ store: recording, secret: 'test secret for reset permissions', now: () => clock }) });
  return { resets, written, advance: (ms: number) => { clock += ms; } };
}

const permission = { userId: 'u1', interactionUid: 'uid-1', email: 'ann@example.com' };

describe('password-reset permission (a login transaction)', () => {
  test('the token is never written; peek keeps it, take uses it once, even when raced', async () => {
    const { resets, written } = setup();
    const token = await resets.grant('tenant-a', permission);
    assert.match(token, /^[\w-]{44}$/);
    assert.ok(!written.some((w) => w.includes(token.slice(0, 22)) || w.includes(token.slice(22)) || w.includes('ann@example.com')), 'the token or the address reached the store');
    assert.deepEqual(await resets.peek('tenant-a', token, 'uid-1'), { userId: 'u1', interactionUid: 'uid-1' });
    assert.deepEqual(await resets.peek('tenant-a', token, 'uid-1'), { userId: 'u1', interactionUid: 'uid-1' }, 'peeking does not use it');
    assert.equal(await resets.peek('tenant-b', token, 'uid-1'), null, 'another tenant knows nothing of it');
    assert.equal(await resets.peek('tenant-a', token, 'uid-2'), null, 'another interaction cannot use it');
    assert.equal(await resets.peek('tenant-a', `${token.slice(0, 22)}${'A'.repeat(22)}`, 'uid-1'), null, 'the record\'s id without its verifier is no permission');
    const taken = await Promise.all(Array.from({ length: 10 }, () => resets.take('tenant-a', token, 'uid-1')));
    assert.equal(taken.filter(Boolean).length, 1);
    assert.equal(await resets.peek('tenant-a', token, 'uid-1'), null);
    assert.equal(await resets.take('tenant-a', token, 'uid-1'), null);
  });

  test('expires after its TTL by our clock; a malformed token is simply unknown', async () => {
    const { resets, advance } = setup();
    const token = await resets.grant('tenant-a', permission);
    advance(resetPermissionTtl * 1000);
    assert.equal(await resets.peek('tenant-a', token, 'uid-1'), null);
    assert.equal(await resets.take('tenant-a', token, 'uid-1'), null);
    assert.equal(await resets.peek('tenant-a', '../*', 'uid-1'), null);
  });
});
