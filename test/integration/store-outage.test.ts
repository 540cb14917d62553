// test-group: lane (a Tessera process, and a store of its own that it stops and starts: one such file at a time)
// Redis goes away under a running server and comes back: requests that need it answer 503 with Retry-After (never
// 500, never a hang), /healthz keeps answering, /readyz names the store, and service resumes without a restart.
// The Redis is the test's own (private-redis.ts): the shared one serves other test files meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { runCliInProcess } from '../support/tessera-process.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { redirectUri, uniqueSlug } from '../support/fixtures.js';

describe('a Redis outage', () => {
  let services: TestServices;
  let redis: PrivateRedis;
  let server: ServerProcess;
  let env: Record<string, string>;
  const slug = uniqueSlug('outage');
  let client: { client_id: string; client_secret: string };
  let app: { client_id: string; client_secret: string };

  before(async () => {
    services = await createTestServices();
    redis = await startPrivateRedis();
    env = { ...services.env, REDIS_URL: redis.url };
    server = await startServerProcess(env);
    assert.equal((await runCliInProcess(['tenant', 'create', slug, '--name', 'Outage'], env)).code, 0);
    const created = await runCliInProcess(['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials'], env);
    assert.equal(created.code, 0, created.stderr);
    client = created.json as typeof client;
    const web = await runCliInProcess(['client', 'create', '--tenant', slug, '--name', 'Web', '--redirect-uri', redirectUri], env);
    assert.equal(web.code, 0, web.stderr);
    app = web.json as typeof app;
  });
  after(async () => {
    await server?.kill();
    await redis?.stop();
    await services?.drop();
  });

  const token = () => fetch(`${server.url}/t/${slug}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(20_000),
  });
  const authorize = () => fetch(`${server.url}/t/${slug}/auth?${new URLSearchParams({ client_id: app.client_id, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`, {
    headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(20_000),
  });

  it('is ready while every store answers', async () => {
    const response = await fetch(`${server.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready', checks: { database: 'ok', store: 'ok', migrations: 'ok' } });
    assert.equal((await token()).status, 200);
    assert.equal((await authorize()).status, 303);
  });

  it('answers 503 with Retry-After while Redis is down, keeps /healthz up, and names the store in /readyz', async () => {
    await redis.stop();
    // an authorization request stores its interaction in Redis; several in a row, each one 503
    for (let i = 0; i < 3; i++) {
      const response = await authorize();
      assert.equal(response.status, 503, `authorization request ${i}: ${response.status} ${await response.clone().text()}`);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    }
    // redeeming a code looks it up in Redis: the token endpoint's JSON error is RFC 6749's temporarily_unavailable
    const redeem = await fetch(`${server.url}/t/${slug}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a'.repeat(43), redirect_uri: redirectUri, code_verifier: 'v'.repeat(43) }),
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(redeem.status, 503, await redeem.clone().text());
    assert.ok(redeem.headers.get('retry-after'));
    assert.equal(((await redeem.json()) as { error: string }).error, 'temporarily_unavailable');
    // machine tokens (JWT, client cached in the process) need no Redis: they keep being issued
    assert.equal((await token()).status, 200);
    const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200, '/healthz does not depend on the stores');

    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(ready.status, 503);
    const body = await ready.json() as { status: string; checks: Record<string, string> };
    assert.equal(body.status, 'unavailable');
    assert.notEqual(body.checks.store, 'ok');
    assert.equal(body.checks.database, 'ok');
    assert.ok(!/redis:\/\//.test(JSON.stringify(body)), 'no connection URL in the answer');

    assert.ok(!server.output().includes('"level":50'), `nothing logged as an unhandled error:\n${server.output()}`);
  });

  it('serves again once Redis is back, without a restart', async () => {
    await redis.start();
    let status = 0;
    for (let attempt = 0; attempt < 100 && (status === 0 || status === 503); attempt++) {
      status = (await authorize()).status;
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 303, 'the authorization request goes on to the login page');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await token()).status, 200);
    assert.equal(server.child.exitCode, null, 'the same process');
  });
});
