// Accessible pages (issue #14), the rest of them: axe-core in Chromium over the hosted pages a user reaches beyond
// the login and account pages (accessibility.e2e.test.ts) — the home page, the phone page, a new password after a
// reset code, the authenticator set-up and its recovery codes, the second-factor page, sign-out and signed-out, the
// device flow's three pages, a used magic link, a sandbox tenant's banner and the outbox — each reached the way a
// person reaches it. Every hosted template is then also checked rendered with sample data (hostile text in every
// field), which covers the pages a browser alone cannot reach here (a link to an upstream account, the demo's
// callback, email verification).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { assertAccessible } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { mailTo } from '../support/email-flows.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { startVendors, vendorSettings, type Vendors } from '../support/phone-flows.js';
import { discover, oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { renderer, samples } from '../support/view-samples.js';
import { viewsDir } from '../../src/http/page-renderer.js';

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

describe('accessible pages beyond sign-in (axe-core in Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let smtp: TestSmtpServer;
  let vendors: Vendors;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let slug: string;
  let issuer: string;
  let config: oidc.Configuration;

  before(async () => {
    chromium = await launchChromium();
    [services, rp, smtp, vendors] = await Promise.all([createTestServices(), startRelyingParty(), startSmtpServer(), startVendors()]);
    server = await startServer({ ...services.env, SMTP_URL: smtp.url });
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      signIn: { methods: { password: true, emailOtp: true, magicLink: true, smsOtp: true } },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
      grants: { deviceFlow: true },
    })]);
    const client = await createClient(server, slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await smtp?.close();
    await vendors?.close();
    await services?.drop();
  });

  async function tab(): Promise<Page> {
    const page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  async function signIn(page: Page, user: { email: string; password: string }) {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('the home page, the phone page, a used magic link, a sandbox tenant\'s login page and the outbox', async () => {
    const page = await tab();
    await page.goto(`${server.url}/`);
    await assertAccessible(page);

    await page.goto((await rp.begin(config)).url.href);
    await page.getByRole('link', { name: 'Use your phone number' }).click();
    await page.waitForURL(/\/phone$/);
    await assertAccessible(page);
    await page.getByLabel('Phone number').fill('not a number');
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page);

    // a magic link that was tampered with (or used): the page says so and offers a new one
    const user = await createUser(server, slug);
    await page.goto((await rp.begin(config)).url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.waitForURL(/\/magic-sent\//);
    const { link } = await mailTo(smtp, user.email);
    await page.goto(`${link!.slice(0, -4)}AAAA`);
    await page.locator('h1').waitFor();
    await assertAccessible(page);

    // a sandbox environment (issue #19) shows its banner
    const tenant = await createTenant(server);
    const sandbox = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', tenant.slug, '--name', 'sandbox']);
    const app = await createClient(server, tenant.slug, ['--env', 'sandbox', '--first-party', '--redirect-uri', rp.redirectUri]);
    await page.goto((await rp.begin(await discover(sandbox.issuer, app.client_id, app.client_secret!))).url.href);
    await page.locator('.sandbox-banner').waitFor();
    await assertAccessible(page);

    await page.goto(`${issuer}/outbox`);
    await page.locator('table.outbox').waitFor();
    await assertAccessible(page);
    await page.context().close();
  });

  it('a new password after a reset code', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    await page.goto((await rp.begin(config)).url.href);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send reset code' }).click();
    await page.waitForURL(/\/code\//);
    const { code } = await mailTo(smtp, user.email);
    await page.getByLabel('Code').fill(code!);
    await page.keyboard.press('Enter');
    await page.getByLabel('New password', { exact: true }).waitFor();
    await assertAccessible(page);
    // long enough for the browser's own checks, but the two differ: the server says so
    await page.getByLabel('New password', { exact: true }).fill('A long enough passphrase 1');
    await page.getByLabel('Confirm new password').fill('A long enough passphrase 2');
    await page.locator('main button[type="submit"]').click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page);
    await page.context().close();
  });

  it('authenticator set-up, recovery codes, the second-factor page, sign-out and signed-out', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    await page.goto(`${issuer}/account/security`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await signIn(page, user);
    await page.waitForURL(/\/account\/security$/);
    await page.goto(`${issuer}/account/security/totp`);
    const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page);
    await page.getByLabel('Code from the app').fill(await totpCode(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('li code').first().waitFor();
    await assertAccessible(page);

    // signing out of the tenant: the question, then the answer
    await page.goto(`${issuer}/session/end`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You have signed out' }).waitFor();
    await assertAccessible(page);

    // signing in again asks for the second factor
    await page.goto((await rp.begin(config)).url.href);
    await signIn(page, user);
    await page.waitForURL(/\/mfa$/);
    await assertAccessible(page);
    await page.context().close();
  });

  it('the device flow: the code, the question, the answer', async () => {
    const user = await createUser(server, slug);
    const client = await cliJson<{ client_id: string }>(server, ['client', 'create', '--tenant', slug, '--name', 'Living-room TV', '--grant', deviceGrant, '--public']);
    const device = await oidc.initiateDeviceAuthorization(await discover(issuer, client.client_id), { scope: 'openid' });
    const page = await tab();
    await page.goto(device.verification_uri);
    await assertAccessible(page);
    await page.getByLabel('Code', { exact: true }).fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page);
    await page.getByLabel('Code', { exact: true }).fill(device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Connect Living-room TV?' }).waitFor();
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await signIn(page, user);
    // the TV is a third-party app: the user is asked first
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    await assertAccessible(page);
    await page.context().close();
  });

  it('every hosted template, rendered with sample data, has no violations', async () => {
    const page = await tab();
    // the check finds violations where there are some, in a page set like the samples are
    await page.setContent('<!doctype html><html lang="en"><head><title>x</title></head><body><main><img src="data:,x"></main></body></html>');
    await assert.rejects(assertAccessible(page), /image-alt/);
    // every template has its sample: a new page without one fails here rather than going unchecked
    const views = (await readdir(viewsDir)).filter((f) => f.endsWith('.ejs')).map((f) => f.slice(0, -4)).sort();
    assert.deepEqual(Object.keys(samples).sort(), views);
    const failures: string[] = [];
    for (const view of views) {
      const html = (await renderer.render(view, samples[view]!)).replaceAll('href="/assets/', `href="${server.url}/assets/`);
      await page.setContent(html, { waitUntil: 'load' });
      await assertAccessible(page).catch((error: Error) => failures.push(`${view}: ${error.message}`));
    }
    assert.deepEqual(failures, []);
    await page.context().close();
  });
});
