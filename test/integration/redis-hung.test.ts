// test-group: lane (a Redis of its own that it pauses and resumes, as the other outage files)
// A Redis that stops answering (SIGSTOP: its connections stay open, commands are written and never answered): each
// store call gives up as unavailable (StoreUnavailableError, answered 503) instead of waiting for ever, and the store
// serves again once Redis answers, without reconnecting. Before, only commands not yet written to the socket timed
// out. The Redis is the test's own (private-redis.ts); no duration is asserted, only that every call settles.
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
});
