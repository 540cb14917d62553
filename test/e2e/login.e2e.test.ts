// A real browser signs in: headless Chromium opens the authorization URL, a person's keyboard and mouse fill the
// hosted login form, and a small relying party at the redirect_uri exchanges the code with openid-client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, BrowserContextOptions, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { startRelyingParty, type SignedIn } from '../support/relying-party-server.js';
import { launchChromium } from '../support/chromium.js';

describe('sign-in in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let firstParty: oidc.Configuration;
  let thirdParty: oidc.Configuration;
  let tenantName: string;

  before(async () => {
    // first, so a missing browser fails fast with its install command
    chromium = await launchChromium();
    [services, rp] = await Promise.all([createTestServices(), startRelyingParty()]);
    server = await startServer(services.env);
    const tenant = await createTenant(server);
    tenantName = `Tenant ${tenant.slug}`;
    const [created, first, third] = await Promise.all([
      createUser(server, tenant.slug),
      createClient(server, tenant.slug, ['--first-party', '--redirect-uri', rp.redirectUri]),
      createClient(server, tenant.slug, ['--redirect-uri', rp.redirectUri]),
    ]);
    user = created;
    firstParty = await discover(tenant.issuer, first.client_id, first.client_secret!);
    thirdParty = await discover(tenant.issuer, third.client_id, third.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await services?.drop();
  });

  /** a fresh browser profile (no cookies) with one tab */
  async function tab(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await chromium.newContext(options);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  async function signInWithMouse(page: Page, config = firstParty) {
    const flow = await rp.begin(config);
    const response = await page.goto(flow.url.href);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), `Sign in · ${tenantName}`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return flow;
  }

  async function landOnRelyingParty(page: Page, result: Promise<SignedIn>) {
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const signedIn = await result;
    assert.equal(signedIn.sub, user.id);
    assert.equal(await page.locator('h1').textContent(), `Signed in as ${user.id}`);
    return signedIn;
  }

  it('signs in through the login form; the relying party exchanges the code', async () => {
    const page = await tab();
    const flow = await signInWithMouse(page);
    const signedIn = await landOnRelyingParty(page, flow.result);
    assert.equal(signedIn.claims.iss, firstParty.serverMetadata().issuer);
    assert.ok(signedIn.tokens.access_token);
    const info = await oidc.fetchUserInfo(firstParty, signedIn.tokens.access_token, user.id);
    assert.equal(info.email, user.email);
    await page.context().close();
  });

  it('works with JavaScript disabled', async () => {
    const page = await tab({ javaScriptEnabled: false });
    const flow = await signInWithMouse(page);
    await landOnRelyingParty(page, flow.result);
    await page.context().close();
  });

  it('shows a third-party client the consent page and continues on Allow, without JavaScript', async () => {
    const page = await tab({ javaScriptEnabled: false });
    const flow = await signInWithMouse(page, thirdParty);
    await page.waitForURL(/\/interaction\//);
    assert.equal(await page.title(), `Allow access · ${tenantName}`);
    assert.deepEqual(await page.locator('ul.scopes strong').allTextContents(), ['openid', 'profile', 'email']);
    await page.getByRole('button', { name: 'Allow' }).click();
    await landOnRelyingParty(page, flow.result);
    await page.context().close();
  });

  it('loads the login page without CSP violations or console errors, styles applied', async () => {
    const page = await tab();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning' || /Content Security Policy/i.test(message.text())) problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    // evaluated by the browser through DevTools, so the page's own CSP does not stop it
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const flow = await rp.begin(firstParty);
    const response = await page.goto(flow.url.href);
    assert.match((await response!.allHeaders())['content-security-policy'] ?? '', /default-src 'none'/);
    await page.waitForLoadState('load');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), []);
    assert.deepEqual(problems, []);
    const sheets = await page.evaluate(() => [...document.styleSheets].map((s) => ({ href: s.href, rules: s.cssRules.length })));
    assert.equal(sheets.length, 2, 'tessera.css and the tenant branding');
    for (const sheet of sheets) assert.ok(sheet.rules > 0, `${sheet.href} applied`);
    await page.context().close();
  });

  it('can be used with the keyboard alone: email → password → Sign in', async () => {
    const page = await tab();
    const flow = await rp.begin(firstParty);
    await page.goto(flow.url.href);
    const focused = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el?.id || el?.textContent?.trim() || el?.tagName || '';
    });
    // autofocus is applied at the browser's next rendering step, which under load can come after `load`
    await page.waitForFunction(() => document.activeElement?.id === 'email', null, { timeout: 5000 }).catch(() => undefined);
    assert.equal(await focused(), 'email', 'the email field has focus on arrival');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Sign in');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Forgot password?', 'password reset belongs to the password form');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Cancel');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await landOnRelyingParty(page, flow.result);
    await page.context().close();
  });

  it('shows a wrong password as an error announced next to the fields, focus ready for the retry', async () => {
    const page = await tab();
    const flow = await rp.begin(firstParty);
    await page.goto(flow.url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('Not-the-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
    assert.equal(await page.getByRole('alert').textContent(), 'The email or password is incorrect.');
    assert.equal(await page.getByLabel('Email').inputValue(), user.email);
    assert.equal(await page.getByLabel('Password').getAttribute('aria-describedby'), 'form-error');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await landOnRelyingParty(page, flow.result);
    await page.context().close();
  });
});
