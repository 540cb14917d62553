// response_mode=form_post (OAuth 2.0 Form Post Response Mode) in a real browser: oidc-provider's page auto-submits
// the response to the app with one inline script, which the page's CSP must allow (http/security-headers.ts).
// Both a code and an error response reach the app as a POST.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { launchChromium } from '../support/chromium.js';

describe('form_post in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  before(async () => {
    chromium = await launchChromium();
    [services, rp] = await Promise.all([createTestServices(), startRelyingParty()]);
    server = await startServer(services.env);
    const tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    const client = await createClient(server, tenant.slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await services?.drop();
  });

  /** a fresh profile whose CSP reports and script errors are collected (a favicon's 404 is not one) */
  async function watchedTab(): Promise<{ page: Page; problems: string[] }> {
    const page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused/i.test(message.text()) || (message.type() === 'error' && !/Failed to load resource/.test(message.text()))) {
        problems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    return { page, problems };
  }

  it('delivers the code to the app by POST; no CSP violation', async () => {
    const { page, problems } = await watchedTab();
    const flow = await rp.begin(config, { response_mode: 'form_post' });
    await page.goto(flow.url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    const formPost = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await formPost;
    const signedIn = await flow.result;
    assert.equal(signedIn.sub, user.id);
    assert.equal(await page.locator('h1').textContent(), `Signed in as ${user.id}`);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('delivers an error response (prompt=none, no session) to the app by POST', async () => {
    const { page, problems } = await watchedTab();
    const flow = await rp.begin(config, { response_mode: 'form_post', prompt: 'none' });
    const formPost = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().startsWith(rp.redirectUri));
    await page.goto(flow.url.href);
    await formPost;
    await assert.rejects(flow.result, (error: unknown) => error instanceof oidc.AuthorizationResponseError && error.error === 'login_required');
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
