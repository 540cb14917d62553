// test-group: lane (a Tessera process, and a store of its own that it stops and starts: one such file at a time)
// A refresh either completes in every store or leaves the old token usable: with Redis down, the rotation (already
// committed in PostgreSQL when the access token's write to Redis fails) is undone, the answer is 503, and the same
// refresh token works once Redis is back — the user stays signed in. The Redis is the test's own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { createRealm, type Realm } from '../support/hosted-pages.js';
import { oidc, signInOffline } from '../support/relying-party.js';

describe('a refresh during a Redis outage', () => {
  let services: TestServices;
  let redis: PrivateRedis;
  let server: TesseraProcess;
  let realm: Realm;

  before(async () => {
    services = await createTestServices();
    redis = await startPrivateRedis();
    server = await startTessera({ ...services.env, REDIS_URL: redis.url });
    realm = await createRealm(server);
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
    await services?.drop();
  });

  const refresh = (refreshToken: string) => {
    const { client_id, client_secret } = realm.firstParty.clientMetadata();
    return fetch(`${realm.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client_id}:${client_secret as string}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      signal: AbortSignal.timeout(20_000),
    });
  };

  it('answers 503 and leaves the old refresh token usable once Redis is back', async () => {
    const tokens = await signInOffline(realm.firstParty, realm.user);
    const old = tokens.refresh_token!;

    await redis.stop();
    const failed = await refresh(old);
    assert.equal(failed.status, 503, await failed.clone().text());
    assert.ok(failed.headers.get('retry-after'));

    await redis.start();
    let answer: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      answer = await refresh(old);
      if (answer.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(answer!.status, 200, `the same refresh token still works: ${await answer!.clone().text()}`);
    const renewed = await answer!.json() as { refresh_token: string; access_token: string };
    assert.notEqual(renewed.refresh_token, old, 'rotated now');
    // the family is intact: the successor refreshes too (no replay was detected, no grant revoked)
    const next = await oidc.refreshTokenGrant(realm.firstParty, renewed.refresh_token);
    assert.ok(next.access_token);
  });
});
