// The CLI's store (store-on-first-use.ts): nothing is opened until a command uses it; then every call reaches the one
// store opened, a failed opening is that call's error and is tried again, and close() closes what was opened.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { storeOnFirstUse } from '../../src/store/store-on-first-use.js';

/** a memory store that counts its openings and closings, and fails the openings it is told to */
function opener(failures = 0) {
  const counts = { opened: 0, closed: 0 };
  const backing = createMemoryStore({ prefix: 't:' });
  let failing = failures;
  const open = async (): Promise<KvStore> => {
    counts.opened += 1;
    if (failing-- > 0) throw new Error('cannot reach Redis at cache:6379: ECONNREFUSED');
    return { ...backing, async close() { counts.closed += 1; await backing.close(); } };
  };
  return { counts, open, backing };
}

describe('store opened on first use', () => {
  it('opens nothing for a command that never uses it, and closes nothing', async () => {
    const { counts, open } = opener();
    const store = storeOnFirstUse('redis', open);
    assert.equal(store.kind, 'redis');
    await store.close();
    assert.deepEqual(counts, { opened: 0, closed: 0 });
  });

  it('opens once, however many calls arrive together, and each call reaches that store', async () => {
    const { counts, open, backing } = opener();
    const store = storeOnFirstUse('redis', open);
    const heard: string[] = [];
    await Promise.all([store.set('a', '1', 60), store.subscribe('changes', (m) => heard.push(m)), store.incr('n', 60)]);
    assert.equal(await backing.get('a'), '1', 'the write reached the opened store');
    assert.equal(await store.get('a'), '1');
    assert.deepEqual(await store.getMany(['a', 'missing']), ['1', null]);
    assert.equal(await store.incr('n', 60), 2);
    await store.publish('changes', 'tenant acme');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard, ['tenant acme'], 'announcements go through it');
    assert.equal(counts.opened, 1);
    await store.close();
    assert.equal(counts.closed, 1);
    await assert.rejects(store.get('a'), /closed/, 'a closed store does not open again');
    assert.equal(counts.opened, 1);
  });

  it('fails the call whose opening failed, with the opening\'s error, and tries again at the next call', async () => {
    const { counts, open } = opener(1);
    const store = storeOnFirstUse('redis', open);
    await assert.rejects(store.publish('changes', 'x'), /cannot reach Redis at cache:6379/);
    await store.set('a', '1', 60);
    assert.equal(await store.get('a'), '1');
    assert.equal(counts.opened, 2);
    await store.close();
    assert.equal(counts.closed, 1);
  });
});
