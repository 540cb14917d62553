// Horizontal scale: two Tessera processes on one PostgreSQL + Redis behind a reverse proxy (written here, so the
// test decides which process serves each request). A flow started on one process finishes on the other, and a
// key rotated by the CLI is published by both within seconds (pub/sub), not after the cache's revalidation period.
// test-group: serial (two server processes and a proxy under load: not alongside other files)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { startProxy, type Proxy } from '../support/load-balancer.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, codeFlow, discover, oidc } from '../support/relying-party.js';
import { Browser, isPage, type Page } from '../support/browser.js';

describe('two processes behind a load balancer', () => {
  let services: TestServices;
  let proxy: Proxy;
  let a: TesseraProcess;
  let b: TesseraProcess;

  before(async () => {
    services = await createTestServices();
    proxy = await startProxy({ A: () => a.url, B: () => b.url });
    // started together: both migrate the new database at once, which must be safe
    [a, b] = await Promise.all([startTessera(services.env, { publicUrl: proxy.url }), startTessera(services.env, { publicUrl: proxy.url })]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.close();
    await services?.drop();
  });

  /** the requests served since `mark`, as "A GET /path" lines */
  const servedSince = (mark: number) => proxy.log.slice(mark).map((r) => `${r.process} ${r.method} ${r.path}`);

  it('a sign-in started on A finishes on B; tokens from A refresh on B', async () => {
    const tenant = await createTenant(a);
    const user = await createUser(a, tenant.slug);
    const client = await createClient(a, tenant.slug, ['--first-party', '--refresh-token-reuse-interval', '0']);
    const prefix = `/t/${tenant.slug}`;
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const request = await authorizationRequest(config, redirectUri, { scope: 'openid email offline_access', prompt: 'consent' });
    const browser = new Browser();
    const atCallback = (location: URL) => location.href.startsWith(redirectUri);

    proxy.route = 'A';
    let mark = proxy.log.length;
    const login = await browser.navigate(request.url, atCallback);
    assert.ok(isPage(login) && login.html.includes('/login"'), 'A shows the login page');
    const onA = servedSince(mark);
    assert.ok(onA.length >= 2 && onA.every((line) => line.startsWith('A ')));
    assert.ok(onA.some((line) => line === `A GET ${prefix}/auth`));

    proxy.route = 'B';
    mark = proxy.log.length;
    let step: Page | URL = await browser.submit(login, '/login', { email: user.email, password: user.password }, atCallback);
    if (isPage(step) && step.html.includes('/confirm"')) step = await browser.submit(step, '/confirm', {}, atCallback);
    assert.ok(!isPage(step), `B did not finish the sign-in: ${isPage(step) ? `${step.status} ${step.html.slice(0, 400)}` : ''}`);
    const callback: URL = step;
    const onB = servedSince(mark);
    assert.ok(onB.every((line) => line.startsWith('B ')));
    assert.ok(onB.some((line) => /^B POST \/t\/[^/]+\/interaction\/[^/]+\/login$/.test(line)), onB.join('\n'));
    assert.ok(onB.some((line) => line.startsWith(`B GET ${prefix}/auth/`)), `B resumed the authorization request:\n${onB.join('\n')}`);

    proxy.route = 'A';
    mark = proxy.log.length;
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    assert.deepEqual(servedSince(mark), [`A POST ${prefix}/token`]);
    assert.equal(tokens.claims()!.sub, user.id);
    assert.ok(tokens.refresh_token, 'offline_access granted a refresh token');

    proxy.route = 'B';
    mark = proxy.log.length;
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.deepEqual(servedSince(mark), [`B POST ${prefix}/token`]);
    assert.equal(refreshed.claims()!.sub, user.id);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotated');

    // the rotated-out token is spent everywhere, not only on the process that rotated it
    proxy.route = 'A';
    const replay = await oidc.refreshTokenGrant(config, tokens.refresh_token).then(() => null, (e: unknown) => e);
    assert.ok(replay instanceof oidc.ResponseBodyError && replay.error === 'invalid_grant', `replay on A: ${String(replay)}`);

    const info = await oidc.fetchUserInfo(config, refreshed.access_token, user.id).then(() => 'served', (e: unknown) => e);
    assert.notEqual(info, 'served', 'the replay revoked the whole grant, on every process');
  });

  it('a sign-in completes when every request alternates between the processes', async () => {
    const tenant = await createTenant(b);
    const user = await createUser(b, tenant.slug);
    const client = await createClient(b, tenant.slug);
    proxy.route = 'round-robin';
    const mark = proxy.log.length;
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const { tokens } = await codeFlow(config, redirectUri, user);
    assert.equal(tokens.claims()!.sub, user.id);
    const served = servedSince(mark);
    assert.ok(served.length >= 6, served.join('\n'));
    assert.ok(served.some((l) => l.startsWith('A ')) && served.some((l) => l.startsWith('B ')));
  });

  it('keys rotate: both processes publish the new key within 5 s, and sign with it', async () => {
    const tenant = await createTenant(a);
    const client = await createClient(a, tenant.slug, ['--grant', 'client_credentials']);
    const jwksOf = async (route: 'A' | 'B') => {
      proxy.route = route;
      const response = await fetch(`${tenant.issuer}/jwks`);
      assert.equal(response.status, 200);
      return ((await response.json()) as { keys: jose.JWK[] }).keys.map((k) => k.kid!);
    };
    // both processes have built and cached this tenant's provider
    const before = await jwksOf('A');
    assert.deepEqual(await jwksOf('B'), before);

    const { kid } = await cliJson<{ kid: string }>(a, ['keys', 'rotate', '--tenant', tenant.slug, '--pre-publish', '0']);
    assert.ok(!before.includes(kid));

    for (const route of ['A', 'B'] as const) {
      const deadline = Date.now() + 5000;
      let kids = await jwksOf(route);
      while (!kids.includes(kid) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        kids = await jwksOf(route);
      }
      assert.ok(kids.includes(kid), `process ${route} still publishes ${kids.join(', ')} without ${kid}`);
      assert.ok(before.every((old) => kids.includes(old)), `process ${route} keeps the old keys published`);

      proxy.route = route;
      const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
      const { access_token: token } = await oidc.clientCredentialsGrant(config);
      assert.equal(jose.decodeProtectedHeader(token).kid, kid, `process ${route} signs with the new key`);
    }
  });
});
