// The console's first hour in a real browser (issue #14): the first owner set up on /admin/setup from this machine,
// a user created and, once locked out by failed passwords, unlocked; every console page (a role's, an API's and the
// environments page among them) passes axe with 0 violations; the audit log, the users, clients and a user's sessions
// fit the screen on a laptop and a phone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { asPage, loginPage } from '../support/hosted-pages.js';
import { Browser } from '../support/browser.js';
import { discover, signInOffline } from '../support/relying-party.js';
import { launchChromium } from '../support/chromium.js';
import { assertAccessible } from '../support/axe.js';

describe('admin console first run in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let context: BrowserContext;
  let page: Page;
  let slug: string;
  const owner = { email: 'first-owner@example.com', password: 'A long enough passphrase 42' };

  before(async () => {
    chromium = await launchChromium();
    services = await createTestServices();
    server = await startServer(services.env);
    slug = (await createTenant(server)).slug;
    context = await chromium.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    await services?.drop();
  });

  it('sets up the first owner on this machine, then signs in', async () => {
    await page.goto(`${server.url}/admin/setup`);
    await assertAccessible(page);
    assert.equal(await page.getByLabel('Setup token').count(), 0, 'no token asked on this machine');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Create the owner' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/t/system/interaction/'));
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/tenants');
    await assertAccessible(page);
    const gone = await page.goto(`${server.url}/admin/setup`);
    assert.equal(gone!.status(), 404, 'the first-run page is gone once an owner exists');
  });

  it('creates a user, and unlocks them once failed passwords lock them out', async () => {
    await page.goto(`${server.url}/admin/tenants/${slug}/users`);
    await assertAccessible(page);
    const email = 'new-person@example.com';
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Name (optional)').fill('New Person');
    await page.getByLabel('Password (optional)').fill('Another long passphrase 7');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#flash').filter({ hasText: `User ${email} was created.` }).waitFor();
    await assertAccessible(page);
    const userUrl = page.url();

    // ten wrong passwords on the tenant's login page lock the account
    const app = await createClient(server, slug, ['--first-party']);
    const config = await discover(server.issuer(slug), app.client_id, app.client_secret!);
    const attacker = new Browser();
    let { page: login } = await loginPage(attacker, config);
    for (let i = 0; i < 10; i++) login = asPage(await attacker.submit(login, '/login', { email, password: `wrong-${i}` }), 'the login page');

    await page.goto(userUrl);
    await page.locator('#user-status').filter({ hasText: 'locked out (password)' }).waitFor();
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Unlock user' }).click();
    await page.locator('#flash').filter({ hasText: 'may try to sign in again now' }).waitFor();
    assert.doesNotMatch((await page.locator('#user-status').textContent())!, /locked/);
    assert.equal(await page.getByRole('button', { name: 'Unlock user' }).count(), 0);
  });

  it('passes axe on every console page, with an audit log that fits a laptop and a phone', async () => {
    const otpApp = await cliJson<{ app_id: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Attendance', '--slug', 'attendance-axe']);
    const user = await createUser(server, slug, { name: 'Ada Lovelace' });
    const app = await createClient(server, slug, ['--scope', 'openid offline_access']);
    await signInOffline(await discover(server.issuer(slug), app.client_id, app.client_secret!), user);
    // an API with permissions, a role holding one of them, and a sandbox environment: their pages have content
    const api = await cliJson<{ id: string }>(server, ['api', 'create', '--tenant', slug, '--identifier', 'https://api.example.com/orders', '--name', 'Orders', '--permission', 'read:orders', '--permission', 'write:orders']);
    await cliJson(server, ['role', 'create', '--tenant', slug, '--name', 'clerk', '--description', 'Reads orders', '--permission', 'https://api.example.com/orders#read:orders']);
    await cliJson(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']);
    const base = `/admin/tenants/${slug}`;
    // the licenses page with a product, its forms and one license's activations and actions
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'Desktop', '--max-devices', '2']);
    const { license_id: licenseId } = await cliJson<{ license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
    for (const path of ['/admin/tenants', base, `${base}/users/${user.id}`, `${base}/clients`, `${base}/clients/${app.client_id}`, `${base}/apps`, `${base}/apps/${otpApp.app_id}`,
      `${base}/roles`, `${base}/roles/clerk`, `${base}/apis`, `${base}/apis/${api.id}`, `${base}/environments`, `${base}/branding`, `${base}/policies`, `${base}/keys`,
      `${base}/licenses`, `${base}/licenses?license=${licenseId}`, `${base}/audit`, `${base}/outbox`]) {
      const response = await page.goto(`${server.url}${path}`);
      assert.equal(response!.status(), 200, path);
      await assertAccessible(page);
    }
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${server.url}${base}/audit`);
      const [scroll, viewport] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(scroll <= viewport, `the audit page is ${scroll} px wide in a ${viewport} px window`);
    }
  });

  it('the users, clients and sessions tables fit a laptop and a phone: no sideways scrolling of the page or the table', async () => {
    // long values, as real ones can be: an address, an app's name, a client id, a browser on a device
    const user = await createUser(server, slug, { email: `a.very.long.address.for.someone-${Date.now()}@subdomain.example-company.com`, name: 'Maximiliana Wolfeschlegelsteinhausen' });
    const app = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', slug, '--name', 'The customer self-service portal for enterprise accounts',
      '--redirect-uri', redirectUri, '--scope', 'openid offline_access']);
    await signInOffline(await discover(server.issuer(slug), app.client_id, app.client_secret!), user);
    const base = `${server.url}/admin/tenants/${slug}`;
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      for (const [name, path, row] of [['users', `${base}/users`, 'tr.user-row'], ['clients', `${base}/clients`, 'tr.client-row'], ['sessions', `${base}/users/${user.id}`, 'tr.session-row']]) {
        await page.goto(path!);
        await page.locator(row!).first().waitFor();
        const fit = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth, window: window.innerWidth,
          tables: [...document.querySelectorAll('.table-fit')].map((wrap) => [wrap.scrollWidth, wrap.clientWidth]),
        }));
        assert.ok(fit.page <= fit.window, `the ${name} page is ${fit.page} px wide in a ${fit.window} px window`);
        for (const [table, room] of fit.tables) assert.ok(table! <= room!, `the ${name} table is ${table} px wide in ${room} px at ${width} px`);
      }
    }
  });

  it('shows the tenant name when its logo fails to load, with links in the brand colour', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/admin/tenants/${slug}/branding`);
    await page.getByLabel('Logo URL (https)').fill('http://127.0.0.1:9/missing-logo.png');
    await page.getByLabel('Primary colour', { exact: true }).fill('#ff9900');
    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.locator('#flash').filter({ hasText: 'Branding saved' }).waitFor();
    assert.equal(await page.locator('#primaryColorPicker').inputValue(), '#ff9900', 'the picker follows the saved value');

    const app = await createClient(server, slug, ['--first-party']);
    const config = await discover(server.issuer(slug), app.client_id, app.client_secret!);
    const { request } = await loginPage(new Browser(), config);
    const hosted = await context.newPage();
    await hosted.goto(request.url.href);
    await hosted.locator('.brand-name').filter({ hasText: `Tenant ${slug}` }).waitFor();
    const logo = hosted.locator('img.brand-logo');
    await logo.evaluate((img: HTMLImageElement) => (img.complete ? null : new Promise((done) => { img.onerror = done; img.onload = done; })));
    const box = await logo.evaluate((img: HTMLImageElement) => ({ natural: img.naturalWidth, width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height }));
    assert.equal(box.natural, 0, 'the logo did not load');
    assert.ok(box.width <= 1 && box.height <= 1, `no broken-image box: ${JSON.stringify(box)}`);
    const link = await hosted.locator('main a').first().evaluate((a) => getComputedStyle(a).color);
    assert.notEqual(link, 'rgb(29, 78, 216)', 'links no longer the fixed default blue');
    assert.match(link, /^rgb\(\d+, \d+, \d+\)$/);
    await hosted.close();
  });
});
