// test-group: lane (PGlite starts and migrates: about 10 s of one core, CPU-bound; one such file at a time)
// A newcomer's first hour in a real browser (issue #14), in the order README's quick start leads through it:
// `npm start` with nothing configured (embedded database, development, the demo seeded); `/`; the demo sign-in
// from the home page with the printed credentials, and the callback page's command run in a shell as shown; the
// first owner set up in the console; a user created, locked out by wrong passwords and unlocked in the console;
// the login page in Hindi through `ui_locales=hi`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { Browser } from '../support/browser.js';
import { asPage } from '../support/hosted-pages.js';
import { runCallbackCommand, waitForBanner, type DemoBanner } from '../support/demo-banner.js';
import { startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { translator } from '../../src/i18n/i18n.js';

describe('the first hour, from `npm start` to a console in use (Chromium, embedded default)', () => {
  let dir: string;
  let server: TesseraProcess;
  let banner: DemoBanner;
  let chromium: Chromium;
  let page: Page;
  const owner = { email: 'owner@example.com', password: 'The first owner passphrase 2026' };

  before(async () => {
    // a fresh folder as the working directory, and no configuration at all: README's two commands
    dir = mkdtempSync(join(tmpdir(), 'tessera-first-hour-'));
    // both at once; whichever started is kept (and closed in `after`) even when the other fails
    const launching = launchChromium().then((launched) => (chromium = launched));
    const starting = startTessera({}, { cwd: dir }).then((started) => (server = started));
    const failed = (await Promise.allSettled([launching, starting])).find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    banner = await waitForBanner(server);
    page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1–2. starts on the embedded database in development and greets at `/`', async () => {
    assert.equal(server.env.DATABASE_URL, undefined, 'no database configured: the embedded one');
    assert.equal(banner.issuer, `${server.url}/t/demo`);
    const response = await page.goto(`${server.url}/`);
    assert.equal(response!.status(), 200);
    await page.getByRole('heading', { name: 'Tessera is running' }).waitFor();
    for (const name of ['Sign in to the demo', 'Admin console', 'Demo outbox', 'Documentation']) {
      assert.equal(await page.getByRole('link', { name }).count(), 1, `the home page links to ${name}`);
    }
  });

  it('3. signs in to the demo from the home page, and the callback page\'s command returns tokens as shown', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Sign in to the demo' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/t/demo/interaction/'));
    await page.getByLabel('Email').fill(banner.email);
    await page.getByLabel('Password').fill(banner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(banner.redirectUri));
    await page.getByRole('heading', { name: 'Signed in: here is the code' }).waitFor();
    // what a person selects and copies: the text of the code block
    const command = (await page.locator('pre.code code').textContent())!;
    assert.match(command, /^curl /, command);
    const tokens = await runCallbackCommand(banner, command);
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.iss, banner.issuer);
    assert.equal(claims.aud, banner.clientId);
  });

  it('4. sets up the first owner on /admin/setup and signs in to the console', async () => {
    // no owner yet: start-up said where to make one, and so does the home page
    assert.match(server.output(), new RegExp(`No console owner yet: create one at ${server.url}/admin/setup`));
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'set up the first owner' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/setup');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Create the owner' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/t/system/interaction/'));
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/tenants');
    await page.goto(`${server.url}/`);
    assert.equal(await page.getByRole('link', { name: 'set up the first owner' }).count(), 0, 'the home page no longer asks for an owner');
  });

  it('5. creates a user in the demo tenant, and unlocks them after wrong passwords lock them out', async () => {
    await page.goto(`${server.url}/admin/tenants/demo/users`);
    const user = { email: 'first-colleague@example.com', password: 'A colleague passphrase 77' };
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Name (optional)').fill('First Colleague');
    await page.getByLabel('Password (optional)').fill(user.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#flash').filter({ hasText: `User ${user.email} was created.` }).waitFor();
    const userUrl = page.url();

    // ten wrong passwords on the demo's login page lock the account
    const attacker = new Browser();
    let login = asPage(await attacker.navigate(banner.authorizationUrl), 'the demo login');
    for (let i = 0; i < 10; i++) login = asPage(await attacker.submit(login, '/login', { email: user.email, password: `wrong-${i}` }), 'the login page');

    await page.goto(userUrl);
    await page.locator('#user-status').filter({ hasText: 'locked out (password)' }).waitFor();
    await page.getByRole('button', { name: 'Unlock user' }).click();
    await page.locator('#flash').filter({ hasText: 'may try to sign in again now' }).waitFor();
    assert.doesNotMatch((await page.locator('#user-status').textContent())!, /locked/);

    // and the unlocked user signs in to the demo with the password set in the console
    const browser = new Browser();
    const fresh = asPage(await browser.navigate(banner.authorizationUrl), 'the demo login');
    const done = await browser.submit(fresh, '/login', { email: user.email, password: user.password }, (location) => location.href.startsWith(banner.redirectUri));
    assert.ok(done instanceof URL && done.searchParams.get('code'), `the unlocked user signs in: ${done instanceof URL ? done.href : done.url.href}`);
  });

  it('6. shows the login page in Hindi with ui_locales=hi', async () => {
    const url = new URL(banner.authorizationUrl);
    url.searchParams.set('ui_locales', 'hi');
    await page.context().clearCookies();
    await page.goto(url.href);
    const hindi = translator('hi');
    await page.getByRole('heading', { name: hindi.t('login.title') }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'hi');
    assert.equal(await page.getByLabel(hindi.t('common.email'), { exact: true }).count(), 1);
    assert.equal(await page.getByLabel(hindi.t('common.password'), { exact: true }).count(), 1);
    assert.equal(await page.getByRole('button', { name: hindi.t('common.signIn') }).count(), 1);
    assert.match((await page.locator('main').textContent())!, /[\u0900-\u097F]/, 'Devanagari on the page');
  });
});
