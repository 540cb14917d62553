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

  it("keeps a tenant's app origins: a burst of preflights makes one read, any client change of the tenant a new one", async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const here = createClientCache({ store });
    const there = createClientCache({ store });
    await there.listen();
    let reads = 0;
    let listed = ['https://a.example'];
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const slowLoad = async () => { reads += 1; await held; return listed; };
    const burst = Array.from({ length: 50 }, () => here.appOrigins('t1', slowLoad));
    release();
    for (const set of await Promise.all(burst)) assert.deepEqual([...set], ['https://a.example']);
    assert.equal(reads, 1, '50 concurrent preflights, one read');
    const load = async () => { reads += 1; return listed; };
    assert.ok((await here.appOrigins('t1', load)).has('https://a.example'));
    assert.equal(reads, 1, 'kept after it settled');
    assert.ok((await here.appOrigins('t2', load)).has('https://a.example'));
    assert.equal(reads, 2, 'per tenant');

    await there.appOrigins('t1', load);
    assert.equal(reads, 3);
    listed = ['https://b.example'];
    await here.changed('t1', 'some-client');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([...await here.appOrigins('t1', load)], ['https://b.example'], 'a change here is seen here at once');
    assert.deepEqual([...await there.appOrigins('t1', load)], ['https://b.example'], 'and in every other process');
    assert.equal(reads, 5);
    await store.close();
  });

  it('keeps no origins read before a change that came while it ran, nor a failed read', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const cache = createClientCache({ store });
    let listed = ['https://old.example'];
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const stale = cache.appOrigins('t1', async () => { const answer = listed; await held; return answer; });
    listed = ['https://new.example'];
    await cache.changed('t1', 'c1');
    release();
    assert.deepEqual([...await stale], ['https://old.example'], 'the racing caller gets what was read');
    assert.deepEqual([...await cache.appOrigins('t1', async () => listed)], ['https://new.example'], 'the next one reads again');

    await cache.changed('t1', 'c1');
    await assert.rejects(cache.appOrigins('t1', async () => { throw new Error('database down'); }), /database down/);
    assert.deepEqual([...await cache.appOrigins('t1', async () => listed)], ['https://new.example'], 'a failure is not kept');
    await store.close();
  });
});
