// The bounded tenant → key → sub-key cache under the client and machine-claims caches: what drop, dropTenant and the
// size bound forget, and that a forgotten entry no longer counts towards the bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTenantCache } from '../../src/store/tenant-cache.js';

describe('tenant cache', () => {
  const value = (name: string) => async () => ({ name });

  it('drop forgets every sub-key of one key, dropTenant every key of one tenant, and nothing else', async () => {
    const cache = createTenantCache<{ name: string }>({ ttlMs: 60_000, maxEntries: 10 });
    await cache.get('t1', 'c1', 'a', value('1a'));
    await cache.get('t1', 'c1', 'b', value('1b'));
    await cache.get('t1', 'c2', 'a', value('2a'));
    await cache.get('t2', 'c1', 'a', value('t2'));
    cache.drop('t1', 'c1');
    assert.deepEqual([cache.peek('t1', 'c1', 'a'), cache.peek('t1', 'c1', 'b')], [undefined, undefined]);
    assert.deepEqual(cache.peek('t1', 'c2', 'a'), { name: '2a' });
    cache.dropTenant('t1');
    assert.equal(cache.peek('t1', 'c2', 'a'), undefined);
    assert.deepEqual(cache.peek('t2', 'c1', 'a'), { name: 't2' });
  });

  it('a hit is the same object and promise; an undefined load is not kept and forgets what was there', async () => {
    const cache = createTenantCache<{ name: string }>({ ttlMs: 60_000, maxEntries: 10 });
    const first = await cache.get('t1', 'c1', '', value('x'));
    const hit = cache.get('t1', 'c1', '', value('y'));
    assert.equal(hit, cache.get('t1', 'c1', '', value('z')), 'one settled promise');
    assert.equal(await hit, first);
    cache.drop('t1', 'c1');
    assert.equal(await cache.get('t1', 'c1', '', async () => undefined), undefined);
    assert.deepEqual(await cache.get('t1', 'c1', '', value('w')), { name: 'w' }, 'nothing was kept for the miss');
  });

  it('dropped entries leave room: the bound drops the oldest of those still kept', async () => {
    const cache = createTenantCache<{ name: string }>({ ttlMs: 60_000, maxEntries: 2 });
    await cache.get('t1', 'a', '', value('a'));
    await cache.get('t1', 'b', '', value('b'));
    cache.drop('t1', 'a');
    await cache.get('t1', 'c', '', value('c'));
    assert.deepEqual([cache.peek('t1', 'b', ''), cache.peek('t1', 'c', '')], [{ name: 'b' }, { name: 'c' }], 'both kept: a had gone');
    await cache.get('t2', 'd', '', value('d'));
    assert.equal(cache.peek('t1', 'b', ''), undefined, 'the oldest kept one goes');
    assert.deepEqual(cache.peek('t2', 'd', ''), { name: 'd' });
  });
});
