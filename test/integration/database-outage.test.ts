// test-group: lane (a Tessera process, and a store of its own that it stops and starts: one such file at a time)
// PostgreSQL restarts under a running server: requests that need it answer 503 with Retry-After (never 500),
// /healthz keeps answering, /readyz names the database, and the same process serves again once it is back.
// The cluster is the test's own (private-postgres.ts): the shared 5432 serves other test files meanwhile.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { runCliInProcess } from '../support/tessera-process.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { uniqueSlug } from '../support/fixtures.js';

describe('a PostgreSQL outage', () => {
  let services: TestServices;
  let postgres: PrivatePostgres;
  let server: ServerProcess;
  const slug = uniqueSlug('pgdown');

  before(async () => {
    postgres = await startPrivatePostgres();
    services = await createTestServices({ adminDatabaseUrl: postgres.url });
    server = await startServerProcess(services.env);
    const created = await runCliInProcess(['tenant', 'create', slug, '--name', 'PG down'], services.env);
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await server?.kill();
    await services?.drop().catch(() => undefined);
    await postgres?.destroy();
  });

  // a slug never seen before: its lookup goes to the database every time
  const unknownTenant = () => fetch(`${server.url}/t/${uniqueSlug('nobody')}-${randomBytes(2).toString('hex')}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000),
  });

  it('answers 503 with Retry-After while PostgreSQL is down, and serves again once it is back', async () => {
    assert.equal((await unknownTenant()).status, 404);
    await postgres.stop();

    const refused = await unknownTenant();
    assert.equal(refused.status, 503, await refused.clone().text());
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(((await refused.json()) as { error: string }).error, 'store.unavailable');
    assert.equal((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) })).status, 200);
    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(ready.status, 503);
    const body = await ready.json() as { checks: Record<string, string> };
    assert.notEqual(body.checks.database, 'ok');
    assert.ok(!body.checks.database?.includes('postgresql://'), 'no connection URL in the answer');

    await postgres.start();
    let status = 0;
    for (let attempt = 0; attempt < 100 && (status === 0 || status === 503); attempt++) {
      status = (await unknownTenant()).status;
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 404, 'the unknown tenant is looked up again');
    assert.equal((await fetch(`${server.url}/t/${slug}/.well-known/openid-configuration`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.ok(!server.output().includes('"level":50'), `no unhandled error logged:\n${server.output()}`);
  });
});
