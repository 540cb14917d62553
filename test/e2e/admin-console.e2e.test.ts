// The admin console in a real browser (issue #6): an operator signs in through the system tenant's login page,
// finds a user, assigns a role, revokes the user's session (whose refresh token then fails at the token endpoint),
// creates a client whose secret is shown once, and previews branding in the frame the console allows itself. The
// console speaks the language asked for at sign-in (ui_locales), else the browser's (issue #14).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { createOperator, type TestOperator } from '../support/admin-console.js';
import { launchChromium } from '../support/chromium.js';
import { assertAccessible } from '../support/axe.js';
import { translator } from '../../src/i18n/i18n.js';

describe('admin console in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let owner: TestOperator;
  let slug: string;

  before(async () => {
    chromium = await launchChromium();
    services = await createTestServices();
    server = await startServer(services.env);
    owner = await createOperator(server, 'owner');
    slug = (await createTenant(server)).slug;
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    await services?.drop();
  });

  /** a fresh profile, signed in to the console at `path`; collects what the CSP refused */
  async function signedIn(path: string): Promise<{ page: Page; violations: string[] }> {
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    await page.goto(`${server.url}${path}`);
    assert.match(new URL(page.url()).pathname, /^\/t\/system\/interaction\//);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === path);
    return { page, violations };
  }

  it('finds a user, assigns a role and revokes their session', async () => {
    const user = await createUser(server, slug, { name: 'Grace Hopper' });
    const app = await createClient(server, slug, ['--scope', 'openid offline_access']);
    const config = await discover(server.issuer(slug), app.client_id, app.client_secret!);
    const tokens = await signInOffline(config, user);

    const { page, violations } = await signedIn(`/admin/tenants/${slug}/users`);
    await page.getByLabel('Email, phone or name').fill(user.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: user.email }).click();
    await page.waitForURL((url) => url.pathname.endsWith(`/users/${user.id}`));

    await page.getByLabel('Role').selectOption('editor');
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.locator('#flash').filter({ hasText: 'Role editor assigned.' }).waitFor();
    assert.equal(await page.locator('.user-role').count(), 1);

    assert.equal(await page.locator('.session-row').count(), 1);
    await page.locator('.session-row').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#flash').filter({ hasText: 'The session was ended' }).waitFor();
    assert.equal(await page.locator('.session-row').count(), 0);
    assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');
    assert.deepEqual(violations, []);
  });

  it('creates a client and shows its secret once', async () => {
    const { page } = await signedIn(`/admin/tenants/${slug}/clients`);
    await page.getByLabel('Name').fill('Reporting job');
    await page.getByLabel('Machine to machine (client_credentials)').check();
    await page.getByRole('button', { name: 'Create client' }).click();
    const secret = (await page.locator('#secret-value').textContent())!;
    const clientId = (await page.locator('#client-id').textContent())!;
    assert.ok(secret.length >= 32);
    const config = await discover(server.issuer(slug), clientId, secret);
    const grant = await oidc.clientCredentialsGrant(config, {});
    assert.ok(grant.access_token, 'the secret shown works at the token endpoint');

    await page.reload();
    assert.equal(await page.locator('#secret-value').count(), 0, 'the secret is not shown again');
    await page.goto(`${server.url}/admin/tenants/${slug}/clients/${clientId}`);
    assert.equal(await page.locator('#secret-value').count(), 0);
  });

  it('previews branding in a frame of the console without saving it', async () => {
    const { page, violations } = await signedIn(`/admin/tenants/${slug}/branding`);
    await page.getByLabel('Primary colour').fill('#0f766e');
    await page.getByRole('button', { name: 'Preview' }).click();
    const frame = page.frame({ name: 'preview' })!;
    // the frame shows the saved colour until the preview of the typed one arrives
    await frame.waitForFunction(() => getComputedStyle(document.querySelector('.button-primary')!).backgroundColor === 'rgb(15, 118, 110)');
    assert.equal(await frame.locator('h1').textContent(), 'Sign in');
    const saved = await (await fetch(`${server.url}/t/${slug}/branding.css`)).text();
    assert.doesNotMatch(saved, /#0f766e/);
    assert.deepEqual(violations, []);
  });

  it('speaks Hindi when signed in with ui_locales=hi, German from Accept-Language otherwise, with no axe violation', async () => {
    const users = `/admin/tenants/${slug}/users`;
    for (const [locale, start] of [['hi', `/admin/sign-in?ui_locales=hi&next=${encodeURIComponent(users)}`], ['de', users]] as const) {
      const words = translator(locale);
      // the browser prefers German: ui_locales wins over it, and without ui_locales it decides
      const context = await chromium.newContext({ locale: 'de-DE' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${server.url}${start}`);
      await page.getByLabel(words.t('common.email')).fill(owner.email);
      await page.getByLabel(words.t('common.password')).fill(owner.password);
      await page.getByRole('button', { name: words.t('common.signIn') }).click();
      await page.waitForURL((url) => url.pathname === users);
      assert.equal(await page.locator('html').getAttribute('lang'), locale);
      assert.equal(await page.locator('h1').textContent(), words.t('console.users.title'));
      await page.getByRole('button', { name: words.t('console.users.submit') }).waitFor();
      await assertAccessible(page);
      // a refusal in a form reads in the same language: the catalogue's message for the code, not the library's
      await page.locator('#new-email').fill('not-an-address@');
      await page.locator('#new-email').evaluate((input: HTMLInputElement) => { input.type = 'text'; });
      await page.getByRole('button', { name: words.t('console.users.submit') }).click();
      await page.locator('#create-error').filter({ hasText: words.t('apiErrors.user_invalid_email') }).waitFor();
      await context.close();
    }
  });

  it('signs out of the console and of the system tenant, back to the sign-in', async () => {
    const { page } = await signedIn('/admin/tenants');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/t/system/session/end'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    // back at /admin, which without a session of either kind starts a new sign-in
    await page.waitForURL((url) => url.pathname.startsWith('/t/system/interaction/'));
    assert.equal(await page.getByLabel('Password').count(), 1);
  });
});
