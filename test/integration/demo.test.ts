// The development demo as a newcomer uses it: the banner's URL signs in, the callback page's curl command
// exchanges the code exactly as printed (with the banner's `export` lines), `tessera demo` shows the details
// again and `--reset` replaces them, and a new PORT / PUBLIC_URL moves the demo client along.
// The servers run in this process and print what main.ts prints at start (TESSERA_TEST_PROCESS=1 spawns them).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { Browser, isPage } from '../support/browser.js';
import { startServer, useTessera } from '../support/use-tessera.js';
import { bannerCount, parseBanner, runCallbackCommand, unescapeHtml, waitForBanner, type DemoBanner } from '../support/demo-banner.js';

/** signs in through the printed URL, then runs the callback page's command in a shell with the printed exports */
async function signInAndRunCallbackCommand(banner: DemoBanner, expectedOrigin: string) {
  const browser = new Browser();
  const login = await browser.navigate(banner.authorizationUrl);
  assert.ok(isPage(login) && login.status === 200, 'the printed URL leads to the login page');
  const callback = await browser.submit(login, '/login', { email: banner.email, password: banner.password });
  assert.ok(isPage(callback) && callback.status === 200, 'first-party: straight to the callback page');
  assert.equal(callback.url.origin + callback.url.pathname, `${expectedOrigin}/demo/callback`);
  const shown = /<pre class="code"><code>([\s\S]*?)<\/code><\/pre>/.exec(callback.html);
  assert.ok(shown, `the callback page shows a command:\n${callback.html}`);
  const command = unescapeHtml(shown[1]!);
  assert.match(command, new RegExp(`redirect_uri='${expectedOrigin}/demo/callback'`), command);
  assert.match(command, new RegExp(`'${banner.issuer}/token'`), command);
  return runCallbackCommand(banner, command);
}

describe('the development demo', () => {
  let services: TestServices;
  let server: TesseraProcess | undefined;
  let banner: DemoBanner;
  const env = () => ({ ...services.env, NODE_ENV: 'development', SEED_DEMO: 'true' });

  before(async () => {
    services = await createTestServices();
    server = await startServer(env());
    banner = await waitForBanner(server);
  });
  after(async () => {
    await server?.stop();
    await services?.drop();
  });

  it('prints export lines for the client id and secret with the banner', () => {
    assert.equal(banner.exports, `export CLIENT_ID='${banner.clientId}'\nexport CLIENT_SECRET='${banner.clientSecret}'`);
    assert.equal(banner.redirectUri, `${server!.url}/demo/callback`);
  });

  it('the callback page\'s curl command takes its values from the server and exchanges the code as shown', async () => {
    await signInAndRunCallbackCommand(banner, server!.url);
  });

  it('the callback page explains an error in words and keeps the raw code only as a small technical detail', async () => {
    const callback = async (query: string, headers: Record<string, string> = {}) => {
      const page = await new Browser(headers).navigate(`${server!.url}/demo/callback?${query}`);
      assert.ok(isPage(page) && page.status === 200, query);
      return page.html;
    };
    const cancelled = await callback('error=access_denied&error_description=End-User+aborted+interaction&state=s1');
    assert.match(cancelled, /<h1>The sign-in did not complete<\/h1>/);
    assert.match(cancelled, /<p class="error" role="alert">The sign-in was cancelled: it was stopped, or the permission the app asked for was declined\.<\/p>/);
    assert.match(cancelled, /<p class="hint">Technical detail: <code>access_denied<\/code> End-User aborted interaction<\/p>/);
    assert.match(cancelled, /<a class="button button-primary" href="\/">Home<\/a>/, 'a way to start again');
    assert.match(await callback('error=login_required'), /role="alert">Nobody is signed in, and the app asked not to show a sign-in page\. Start the demo sign-in again\.</);
    const unknown = await callback('error=%3Cb%3Enew_kind%3C%2Fb%3E&error_description=x');
    assert.match(unknown, /role="alert">The sign-in did not complete\. Start the demo sign-in again from the home page\.</, 'a code the page does not know');
    assert.match(unknown, /<code>&lt;b&gt;new_kind&lt;\/b&gt;<\/code>/, 'the raw code, escaped');
    const french = await callback('error=access_denied', { 'accept-language': 'fr' });
    assert.match(french, /role="alert">La connexion a été annulée : elle a été interrompue, ou l’autorisation demandée par l’application a été refusée\.</);
    assert.match(french, /Détail technique : <code>access_denied<\/code>/);
  });

  it('`tessera demo` shows the same credentials and URLs again', async () => {
    const shown = await server!.cli(['demo']);
    assert.equal(shown.code, 0, shown.stderr);
    const again = parseBanner(shown.stdout);
    assert.deepEqual({ ...again, authorizationUrl: undefined }, { ...banner, authorizationUrl: undefined });
    assert.equal(again.authorizationUrl.searchParams.get('client_id'), banner.clientId);
  });

  it('`tessera demo --reset` sets a new secret and password: the old secret stops working, the new ones sign in', async () => {
    const reset = await server!.cli(['demo', '--reset']);
    assert.equal(reset.code, 0, reset.stderr);
    const fresh = parseBanner(reset.stdout);
    assert.equal(fresh.clientId, banner.clientId);
    assert.notEqual(fresh.clientSecret, banner.clientSecret);
    assert.notEqual(fresh.password, banner.password);
    const old = await fetch(`${banner.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${banner.clientId}:${banner.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: banner.redirectUri }),
    });
    assert.equal(old.status, 401);
    await signInAndRunCallbackCommand(fresh, server!.url);
    banner = fresh;
  });

  it('follows a PORT change: the banner is shown again and the demo signs in at the new address', async () => {
    await server!.stop();
    server = undefined;
    const port = await freePort();
    server = await startServer(env(), { port });
    const moved = await waitForBanner(server);
    assert.equal(moved.redirectUri, `http://127.0.0.1:${port}/demo/callback`);
    assert.equal(moved.clientId, banner.clientId);
    assert.equal(moved.password, banner.password, 'a move keeps the credentials');
    await signInAndRunCallbackCommand(moved, server.url);
  });

  it('a start that changes nothing prints where to begin instead of the credentials', async () => {
    const port = server!.port;
    await server!.stop();
    server = undefined;
    server = await startServer(env(), { port });
    const deadline = Date.now() + 20_000;
    while (!/Demo ready/.test(server.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(server.output(), new RegExp(`Demo ready: open ${server.url}/ `));
    assert.equal(bannerCount(server.output()), 0);
  });

  it('follows a PORT change with PUBLIC_URL unset: the redirect URI moves to the new port', async () => {
    await server!.stop();
    server = undefined;
    server = await startServer(env(), { port: await freePort(), publicUrl: null });
    const before = await waitForBanner(server);
    assert.equal(before.redirectUri, `http://localhost:${server.port}/demo/callback`, 'PUBLIC_URL defaults to localhost:PORT');
    await server.stop();
    server = undefined;
    const port = await freePort();
    server = await startServer(env(), { port, publicUrl: null });
    assert.equal(server.env.PUBLIC_URL, undefined, 'PUBLIC_URL is not set');
    const moved = await waitForBanner(server);
    assert.equal(moved.redirectUri, `http://localhost:${port}/demo/callback`);
    assert.equal(moved.clientId, banner.clientId);
    await signInAndRunCallbackCommand(moved, `http://localhost:${port}`);
  });
});

describe('`tessera demo` where there is no demo', () => {
  const server = useTessera();

  it('says so with a non-zero exit and creates nothing', async () => {
    const result = await server.cli(['demo']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /There is no demo/);
    assert.equal((await fetch(`${server.issuer('demo')}/.well-known/openid-configuration`)).status, 404);
  });

  it('refuses unknown flags as a usage error', async () => {
    assert.equal((await server.cli(['demo', '--bogus'])).code, 2);
  });
});
