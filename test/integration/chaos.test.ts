// test-group: serial (two server processes under load, one killed; private stores stopped and started)
// Chaos under load (issue #15). Two processes on one PostgreSQL + Redis behind a load balancer, signed-in users
// refreshing all the time: `kill -9` of one process loses no session, grant or refresh token, and sign-ins started
// on the dead process finish on the other. Then Redis and PostgreSQL restart under load: every answer meanwhile is
// a success or a 503 with Retry-After (never a 500), and service comes back without restarting Tessera.
// Clients behave as real ones do: a refresh that got no answer (connection lost, 502, 503) is retried with the
// same refresh token; a refresh refused with invalid_grant means the user was signed out, which must never happen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { runCliInProcess, type TesseraProcess } from '../support/tessera-process.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startProxy, type Proxy } from '../support/load-balancer.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, discover, oidc, signInOffline } from '../support/relying-party.js';
import { Browser, isPage, type Page } from '../support/browser.js';

/** what the fixtures need of a server, for processes the test starts and kills itself */
function operatorFor(env: Record<string, string>, publicUrl: string): TesseraProcess {
  const fullEnv = { ...env, PUBLIC_URL: publicUrl };
  return {
    url: publicUrl, port: 0, env: fullEnv, output: () => '',
    issuer: (slug) => `${publicUrl}/t/${slug}`,
    cli: (argv) => runCliInProcess(argv, fullEnv),
    stop: async () => undefined,
  };
}

interface Outcome { refreshes: number; signedOut: string | null; statuses: Map<number, number> }

/**
 * Refreshes `token` at `tokenUrl` until `stop()`, as a careful client does: no answer, 502 or 503 → the same token
 * again; 200 → the new one. Returns what happened and the last refresh token it holds.
 */
async function refreshLoop(tokenUrl: string, client: { client_id: string; client_secret: string }, token: string, stop: () => boolean) {
  const outcome: Outcome = { refreshes: 0, signedOut: null, statuses: new Map() };
  let current = token;
  while (!stop() && !outcome.signedOut) {
    let status = 0;
    let body: Record<string, unknown> = {};
    let retryAfter: string | null = null;
    try {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current, client_id: client.client_id, client_secret: client.client_secret }),
        signal: AbortSignal.timeout(15_000),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    } catch {
      status = 0; // the connection died with the process
    }
    outcome.statuses.set(status, (outcome.statuses.get(status) ?? 0) + 1);
    if (status === 200) {
      current = body.refresh_token as string;
      outcome.refreshes++;
    } else if (status === 0 || status === 502 || (status === 503 && retryAfter)) {
      await sleep(100);
    } else {
      outcome.signedOut = `${status} ${JSON.stringify(body)}`;
    }
  }
  return { outcome, token: current };
}

describe('chaos: a process killed with kill -9 under load', () => {
  let services: TestServices;
  let proxy: Proxy;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async () => {
    services = await createTestServices();
    proxy = await startProxy({ A: () => a.url, B: () => b.url });
    [a, b] = await Promise.all([startServerProcess(services.env, { publicUrl: proxy.url }), startServerProcess(services.env, { publicUrl: proxy.url })]);
  });
  after(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await proxy?.close();
    await services?.drop();
  });

  it('loses no session, grant or refresh token, and flows started on the dead process finish on the other', async () => {
    const operator = operatorFor(services.env, proxy.url);
    const tenant = await createTenant(operator);
    const client = await createClient(operator, tenant.slug, ['--first-party']) as { client_id: string; client_secret: string };
    const config = await discover(tenant.issuer, client.client_id, client.client_secret);
    const users = await Promise.all(Array.from({ length: 10 }, () => createUser(operator, tenant.slug)));

    // everyone signs in through both processes (round robin) and keeps their browser: that is their session
    proxy.route = 'round-robin';
    const signedIn: Array<{ browser: Browser; refreshToken: string }> = [];
    for (const user of users) {
      const browser = new Browser();
      const tokens = await signInOffline(config, user, { browser });
      signedIn.push({ browser, refreshToken: tokens.refresh_token! });
    }

    // four more sign-ins reach the login page on A and stop there
    proxy.route = 'A';
    const atCallback = (location: URL) => location.href.startsWith(redirectUri);
    const pending = await Promise.all(users.slice(0, 4).map(async (user) => {
      const request = await authorizationRequest(config, redirectUri, { scope: 'openid offline_access', prompt: 'login consent' });
      const browser = new Browser();
      const login = await browser.navigate(request.url, atCallback);
      assert.ok(isPage(login) && login.html.includes('/login"'), 'A shows the login page');
      return { user, request, browser, login };
    }));

    // load: every user refreshes continuously, across both processes
    proxy.route = 'round-robin';
    let stopped = false;
    const loops = signedIn.map((s) => refreshLoop(`${tenant.issuer}/token`, client, s.refreshToken, () => stopped));
    await sleep(1500);
    a.child.kill('SIGKILL');
    await a.exited;
    await sleep(300); // the balancer notices a moment later; meanwhile requests to A fail and are retried
    proxy.route = 'B';
    await sleep(2500);
    stopped = true;
    const results = await Promise.all(loops);

    for (const [i, { outcome }] of results.entries()) {
      assert.equal(outcome.signedOut, null, `user ${i} was signed out: ${outcome.signedOut}; statuses ${JSON.stringify([...outcome.statuses])}`);
      assert.ok(!outcome.statuses.has(500), `no 500s: ${JSON.stringify([...outcome.statuses])}`);
    }
    assert.ok(results.reduce((n, r) => n + r.outcome.refreshes, 0) > signedIn.length, 'the load really ran');

    // every refresh token still rotates, every grant still serves userinfo, and every session still signs in silently
    for (const [i, { token }] of results.entries()) {
      const next = await oidc.refreshTokenGrant(config, token);
      assert.ok(next.access_token, `user ${i}'s refresh token survived`);
      await oidc.fetchUserInfo(config, next.access_token, users[i]!.id);
      const silent = await authorizationRequest(config, redirectUri, { scope: 'openid', prompt: 'none' });
      const landed = await signedIn[i]!.browser.navigate(silent.url, atCallback);
      assert.ok(!isPage(landed) && landed.searchParams.get('code'), `user ${i}'s session survived: ${isPage(landed) ? landed.status : landed.href}`);
    }

    // the sign-ins begun on A finish on B
    for (const { user, request, browser, login } of pending) {
      let step: Page | URL = await browser.submit(login, '/login', { email: user.email, password: user.password }, atCallback);
      if (isPage(step) && step.html.includes('/confirm"')) step = await browser.submit(step, '/confirm', {}, atCallback);
      assert.ok(!isPage(step), `the flow begun on A did not finish on B: ${isPage(step) ? `${step.status} ${step.html.slice(0, 300)}` : ''}`);
      const tokens = await oidc.authorizationCodeGrant(config, step, {
        pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
      });
      assert.equal(tokens.claims()!.sub, user.id);
    }
  });
});

describe('chaos: Redis, then PostgreSQL, restarted under load', () => {
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let services: TestServices;
  let server: ServerProcess;

  before(async () => {
    [redis, postgres] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
    services = await createTestServices({ adminDatabaseUrl: postgres.url });
    server = await startServerProcess({ ...services.env, REDIS_URL: redis.url });
  });
  after(async () => {
    await server?.kill();
    await services?.drop().catch(() => undefined);
    await redis?.stop();
    await postgres?.destroy();
  });

  it('answers only successes and 503s with Retry-After meanwhile, signs nobody out, and recovers without a restart', async () => {
    const operator = operatorFor({ ...services.env, REDIS_URL: redis.url }, server.url);
    const tenant = await createTenant(operator);
    const client = await createClient(operator, tenant.slug, ['--first-party']) as { client_id: string; client_secret: string };
    const machine = await operator.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'Worker', '--grant', 'client_credentials']);
    assert.equal(machine.code, 0, machine.stderr);
    const worker = machine.json as { client_id: string; client_secret: string };
    const config = await discover(tenant.issuer, client.client_id, client.client_secret);
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(operator, tenant.slug)));
    const tokens = [];
    for (const user of users) tokens.push((await signInOffline(config, user)).refresh_token!);

    let stopped = false;
    const machineStatuses = new Map<number, number>();
    const machineLoad = (async () => {
      while (!stopped) {
        const response = await fetch(`${tenant.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: worker.client_id, client_secret: worker.client_secret }),
          signal: AbortSignal.timeout(15_000),
        }).catch(() => null);
        const status = response?.status ?? 0;
        if (status === 503) assert.ok(response!.headers.get('retry-after'), 'a 503 says when to retry');
        await response?.arrayBuffer();
        machineStatuses.set(status, (machineStatuses.get(status) ?? 0) + 1);
        if (status !== 200) await sleep(100);
      }
    })();
    const loops = tokens.map((token) => refreshLoop(`${tenant.issuer}/token`, client, token, () => stopped));

    await sleep(800);
    await redis.stop();
    await sleep(2000);
    await redis.start();
    await sleep(1500);
    await postgres.stop();
    await sleep(2000);
    await postgres.start();
    // recovered: a machine token is served again within 20 s, by the same process
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      const response = await fetch(`${tenant.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: worker.client_id, client_secret: worker.client_secret }),
      }).catch(() => null);
      recovered = response?.status === 200;
      if (!recovered) await sleep(200);
    }
    if (!recovered) stopped = true; // the load loops end, so a failure fails now instead of at the test's time limit
    assert.ok(recovered, `service came back without a restart; the server's output ends:\n${server.output().slice(-3000)}`);
    await sleep(1000);
    stopped = true;
    const [results] = await Promise.all([Promise.all(loops), machineLoad]);

    const allowed = new Set([200, 503]);
    assert.deepEqual([...machineStatuses.keys()].filter((s) => !allowed.has(s)), [], `machine tokens: ${JSON.stringify([...machineStatuses])}`);
    const refused = (machineStatuses.get(503) ?? 0) + results.reduce((n, r) => n + (r.outcome.statuses.get(503) ?? 0), 0);
    assert.ok(refused > 0, `the outages were noticed: ${JSON.stringify([...machineStatuses])} ${JSON.stringify(results.map((r) => [...r.outcome.statuses]))}`);
    for (const [i, { outcome, token }] of results.entries()) {
      assert.equal(outcome.signedOut, null, `user ${i} was signed out: ${outcome.signedOut}`);
      assert.deepEqual([...outcome.statuses.keys()].filter((s) => !allowed.has(s)), [], `user ${i}: ${JSON.stringify([...outcome.statuses])}`);
      assert.ok((await oidc.refreshTokenGrant(config, token)).access_token, `user ${i}'s refresh token survived`);
    }
    assert.equal(server.child.exitCode, null, 'the same process served throughout');
  });
});
