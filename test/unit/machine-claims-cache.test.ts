// The per-process cache of machine clients' RBAC claims: served from memory until the tenant's RBAC changes (here
// or, over pub/sub, in another process) or the bound passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createMachineClaimsCache } from '../../src/rbac/machine-claims-cache.js';

describe('machine claims cache', () => {
  const claims = (role: string) => ({ roles: [role], permissions: [`use:${role}`] });

  it('loads once, then answers from memory; a change of the tenant drops it in this and every other process', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const here = createMachineClaimsCache({ store });
    const there = createMachineClaimsCache({ store });
    await there.listen();
    let loads = 0;
    const load = (role: string) => async () => { loads += 1; return claims(role); };
    assert.deepEqual(await here.get('t1', 'c1', 'https://api', load('a')), claims('a'));
    assert.deepEqual(await here.get('t1', 'c1', 'https://api', load('b')), claims('a'));
    assert.deepEqual(await there.get('t1', 'c1', 'https://api', load('a')), claims('a'));
    assert.equal(loads, 2);

    await here.changed('t1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await here.get('t1', 'c1', 'https://api', load('b')), claims('b'));
    assert.deepEqual(await there.get('t1', 'c1', 'https://api', load('b')), claims('b'));
    assert.deepEqual(await here.get('t2', 'c1', 'https://api', load('c')), claims('c'), 'tenants and audiences are apart');
    await store.close();
  });

  it('keeps nothing past its bound', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const cache = createMachineClaimsCache({ store, ttlMs: 0 });
    let loads = 0;
    const load = async () => { loads += 1; return claims('a'); };
    await cache.get('t1', 'c1', 'https://api', load);
    await cache.get('t1', 'c1', 'https://api', load);
    assert.equal(loads, 2);
    await store.close();
  });

  it('drops the oldest entry beyond its size, and a tenant change only that tenant\'s entries', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const cache = createMachineClaimsCache({ store, maxEntries: 2 });
    let loads = 0;
    const load = (role: string) => async () => { loads += 1; return claims(role); };
    await cache.get('t1', 'c1', 'https://a', load('a'));
    await cache.get('t1', 'c1', 'https://b', load('b'));
    await cache.get('t2', 'c1', 'https://a', load('c'));
    assert.equal(loads, 3);
    assert.deepEqual(await cache.get('t1', 'c1', 'https://b', load('x')), claims('b'), 'kept');
    assert.deepEqual(await cache.get('t2', 'c1', 'https://a', load('x')), claims('c'), 'kept');
    assert.deepEqual(await cache.get('t1', 'c1', 'https://a', load('d')), claims('d'), 'the oldest was dropped');
    assert.equal(loads, 4);

    await cache.changed('t1');
    assert.deepEqual(await cache.get('t2', 'c1', 'https://a', load('x')), claims('c'), 'another tenant keeps its entries');
    assert.deepEqual(await cache.get('t1', 'c1', 'https://a', load('e')), claims('e'));
    assert.equal(loads, 5);
    await store.close();
  });
});
