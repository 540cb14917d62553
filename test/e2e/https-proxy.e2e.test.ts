// An https deployment behind a TLS-terminating proxy (issue #17): Tessera listens on http, PUBLIC_URL is the
// proxy's https origin. Discovery and tokens speak https; responses carry HSTS; the provider's cookies are Secure
// and SameSite=None, so a relying party on another site can POST to the authorization endpoint (OIDC Core
// 3.1.2.1) and the browser still sends the session (single sign-on through a cross-site POST).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { launchChromium } from '../support/chromium.js';
import { fetchTrusting, makeCertificates, startTlsProxy } from '../support/tls-proxy.js';

describe('https behind a TLS-terminating proxy', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;
  let httpsFetch: typeof fetch;

  before(async () => {
    chromium = await launchChromium();
    const [certificates, created] = await Promise.all([makeCertificates(), createTestServices()]);
    services = created;
    httpsFetch = fetchTrusting(certificates.ca);
    const port = await freePort();
    proxy = await startTlsProxy(certificates, () => `http://127.0.0.1:${port}`);
    server = await startServer(services.env, { port, publicUrl: proxy.origin });
    rp = await startRelyingParty();
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    const client = await createClient(server, tenant.slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await oidc.discovery(new URL(tenant.issuer), client.client_id, client.client_secret!, oidc.ClientSecretBasic(client.client_secret!), { [oidc.customFetch]: httpsFetch as unknown as oidc.CustomFetch });
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await proxy?.close();
    await services?.drop();
  });

  it('publishes an https issuer and endpoints, with HSTS', async () => {
    assert.equal(tenant.issuer, `${proxy.origin}/t/${tenant.slug}`);
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, tenant.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const) {
      assert.ok(String(metadata[endpoint]).startsWith(`${tenant.issuer}/`), `${endpoint}: ${metadata[endpoint]}`);
    }
    const response = await httpsFetch(`${tenant.issuer}/.well-known/openid-configuration`);
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });

  /** submits a POST to the authorization endpoint from a page of the relying party's own origin (another site) */
  async function postToAuthorizationEndpoint(page: Page, url: URL) {
    await page.goto(`${new URL(rp.redirectUri).origin}/start`);
    await page.evaluate(({ action, fields }) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = action;
      for (const [name, value] of fields) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, { action: `${url.origin}${url.pathname}`, fields: [...url.searchParams] });
  }

  it('a relying party on another site POSTs to /auth; the session cookie then comes along on the next cross-site POST', async () => {
    const context = await chromium.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);

    const first = await rp.begin(config);
    await postToAuthorizationEndpoint(page, first.url);
    await page.waitForURL((url) => url.href.startsWith(`${tenant.issuer}/interaction/`));
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    assert.equal((await first.result).sub, user.id);

    const cookies = (await context.cookies()).filter((c) => c.domain === 'localhost' && c.path.startsWith(`/t/${tenant.slug}`));
    assert.ok(cookies.length > 0, 'the provider keeps its session in cookies');
    for (const cookie of cookies) {
      assert.equal(cookie.secure, true, `${cookie.name} is Secure`);
      assert.equal(cookie.sameSite, 'None', `${cookie.name} is SameSite=None`);
    }

    // single sign-on: only a session cookie sent with a cross-site POST skips the login page
    const second = await rp.begin(config);
    const visited: string[] = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) visited.push(frame.url()); });
    await postToAuthorizationEndpoint(page, second.url);
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    assert.equal((await second.result).sub, user.id);
    assert.deepEqual(visited.filter((url) => url.includes('/interaction/')), [], 'no login page the second time');
    await context.close();
  });
});
