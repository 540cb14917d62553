// The per-process client cache: a hit is the very metadata object loaded before (oidc/remembered-clients.ts files the
// built Client under it), until the client changes here or, over pub/sub, in another process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createClientCache } from '../../src/clients/client-cache.js';

describe('client cache', () => {
  it('answers the same metadata object until the client changes, here and in every other process', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const here = createClientCache({ store });
    const there = createClientCache({ store });
    await there.listen();
    let loads = 0;
    const load = async () => { loads += 1; return { client_id: 'c1', client_secret: `secret-${loads}` }; };
    assert.equal(here.peek('t1', 'c1'), undefined, 'nothing at hand before a load');
    const first = await here.get('t1', 'c1', load);
    assert.equal(await here.get('t1', 'c1', load), first);
    assert.equal(here.peek('t1', 'c1'), first, 'peek hands back the same object');
    const elsewhere = await there.get('t1', 'c1', load);
    assert.equal(await there.get('t1', 'c1', load), elsewhere);
    assert.equal(loads, 2);

    await here.changed('t1', 'c1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(here.peek('t1', 'c1'), undefined, 'a changed client is not at hand');
    assert.equal(there.peek('t1', 'c1'), undefined, 'nor in another process');
    const changed = await here.get('t1', 'c1', load);
    assert.notEqual(changed, first);
    assert.equal(changed?.client_secret, 'secret-3');
    assert.notEqual(await there.get('t1', 'c1', load), elsewhere);
    await store.close();
  });

  it('keeps nothing past its bound, and drops the oldest entry beyond its size', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const expired = createClientCache({ store, ttlMs: 0 });
    let loads = 0;
    const load = async () => { loads += 1; return { client_id: 'c1' }; };
    await expired.get('t1', 'c1', load);
    await expired.get('t1', 'c1', load);
    assert.equal(loads, 2);
    assert.equal(expired.peek('t1', 'c1'), undefined);

    const small = createClientCache({ store, maxEntries: 2 });
    for (const [tenant, client] of [['t1', 'a'], ['t2', 'a'], ['t1', 'b']]) await small.get(tenant!, client!, async () => ({ client_id: client }));
    assert.equal(small.peek('t1', 'a'), undefined, 'the oldest is dropped');
    assert.deepEqual([small.peek('t2', 'a'), small.peek('t1', 'b')], [{ client_id: 'a' }, { client_id: 'b' }]);
    await store.close();
  });

  it('keeps no unknown client: one created a moment later is found', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const cache = createClientCache({ store });
    let stored: Record<string, unknown> | undefined;
    assert.equal(await cache.get('t1', 'c2', async () => stored), undefined);
    stored = { client_id: 'c2' };
    assert.equal(await cache.get('t1', 'c2', async () => stored), stored);
    await store.close();
  });
});
