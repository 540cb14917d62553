// test-group: lane (a Redis of its own that it pauses and resumes, as the other outage files)
// A Redis that stops answering (SIGSTOP: its connections stay open, commands are written and never answered): each
// store call gives up as unavailable (StoreUnavailableError, answered 503) instead of waiting for ever, and the store
// serves again once Redis answers, without reconnecting. Before, only commands not yet written to the socket timed
// out. Once a call's deadline has passed, Redis counts as silent: later calls fail without being sent (a command sent
// to a silent Redis stayed queued in the client, and the queue grew with every request, for as long as it was
// silent), until Redis answers again. The Redis is the test's own (private-redis.ts); no duration is asserted, only
// that every call settles, and which calls Redis carried out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError } from '../../src/store/store-outage.js';
import type { KvStore } from '../../src/store/kv-store.js';

describe('a Redis that stops answering', () => {
  let redis: PrivateRedis;
  let store: KvStore;

  before(async () => {
    redis = await startPrivateRedis();
    store = await createRedisStore({ url: redis.url, prefix: 'hung:' });
  });
  after(async () => {
    redis?.resume();
    await store?.close();
    await redis?.stop();
  });

  it('fails every call as unavailable while it is stopped, and serves again once it answers', { timeout: 60_000 }, async () => {
    await store.set('k', 'before', 60);
    redis.pause();
    const calls = await Promise.allSettled([
      store.get('k'), store.set('k', 'during', 60), store.setAndAddToSet('t', 'token', 60, 'grant', 't'), store.incr('n', 60), store.ping(),
    ]);
    for (const call of calls) {
      assert.equal(call.status, 'rejected');
      assert.ok(call.reason instanceof StoreUnavailableError, String(call.reason));
    }
    redis.resume();
    // the calls given up on were sent: Redis carries them out once it runs again, in order, before what follows
    for (let i = 0; i < 100 && (await store.get('k').catch(() => null)) !== 'during'; i++) await sleep(100);
    assert.equal(await store.get('k'), 'during');
    assert.deepEqual(await store.setMembers('grant'), ['t']);
    assert.equal(await store.incr('n', 60), 2);
  });

  it('once a call has gone unanswered, calls fail without being sent until Redis answers again', { timeout: 60_000 }, async () => {
    await store.set('s', 'before', 60);
    redis.pause();
    const first = await store.set('s', 'sent', 60).then(() => 'answered', (err: unknown) => err);
    assert.ok(first instanceof StoreUnavailableError, 'the first call is given up on at its deadline');
    // silent now: each of these is refused without reaching the client's queue
    const refused = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.set('s', `refused ${i}`, 60)));
    for (const call of refused) {
      assert.equal(call.status, 'rejected');
      assert.ok(call.reason instanceof StoreUnavailableError, String(call.reason));
      assert.match(String((call.reason as Error).cause), /has not answered/);
    }
    const beforeResume = await Promise.allSettled([store.ping(), store.get('s')]);
    assert.ok(beforeResume.every((call) => call.status === 'rejected'), 'readiness and reads are refused too');
    redis.resume();
    let value: string | null = null;
    for (let i = 0; i < 100 && value === null; i++) {
      value = await store.get('s').catch(() => null);
      if (value === null) await sleep(100);
    }
    // the call sent before Redis counted as silent was carried out; none of the 50 refused ones was
    assert.equal(value, 'sent');
    await store.set('s', 'after', 60);
    assert.equal(await store.get('s'), 'after', 'calls go through again');
  });
});
