// Passwordless sign-in in a real browser (headless Chromium): a code by SMS (the Twilio stand-in receives it, the
// user types it) and a magic link (read from the outbox, opened in the same browser), each ending at a relying
// party that exchanges the code with openid-client. A magic link opened in a second browser signs in nobody, there
// or in the first browser (issue #13): the second is told the link works only where it was asked for, the first
// is unchanged and can still open the link itself.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { createClient, createTenant, createUser, cliJson } from '../support/fixtures.js';
import { codeFrom, randomMobile, readOutbox, startVendors, vendorSettings, waitFor, type Vendors } from '../support/phone-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty, type SignedIn } from '../support/relying-party-server.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';

describe('passwordless sign-in in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let vendors: Vendors;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let tenant: { slug: string; issuer: string; name: string };
  let config: oidc.Configuration;

  before(async () => {
    // first, so a missing browser fails fast with its install command
    chromium = await launchChromium();
    [services, rp, vendors] = await Promise.all([createTestServices(), startRelyingParty(), startVendors()]);
    server = await startServer(services.env);
    const created = await createTenant(server);
    tenant = { ...created, name: `Tenant ${created.slug}` };
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({
      signIn: { methods: { magicLink: true, smsOtp: true }, signUp: true },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
    })]);
    const client = await createClient(server, tenant.slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await vendors?.close();
    await server?.stop();
    await services?.drop();
  });
  afterEach(() => vendors.assertNoRejections());

  /** a fresh browser profile (no cookies) with one tab */
  async function tab(): Promise<Page> {
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  async function landOnRelyingParty(page: Page, result: Promise<SignedIn>) {
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const { claims } = await result;
    assert.equal(await page.locator('h1').textContent(), `Signed in as ${claims.sub}`);
    return claims;
  }

  /** opens the login page, asks for a magic link for `email`, and returns the link from the outbox */
  async function askForLink(page: Page, email: string) {
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    assert.equal(await page.title(), `Sign in · ${tenant.name}`);
    const sent = (await readOutbox(tenant.issuer)).length;
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.waitForURL(/\/magic-sent\//);
    assert.equal(await page.title(), `Check your email · ${tenant.name}`);
    const entry = await waitFor('the magic link in the outbox', async () => {
      const entries = await readOutbox(tenant.issuer);
      return entries.length > sent ? entries.find((e) => e.to === email && e.link) : undefined;
    });
    assert.match(entry.link!, new RegExp(`^${server.url}/t/${tenant.slug}/interaction/[^/]+/magic/[\\w-]{43}$`));
    return { flow, link: entry.link! };
  }

  it('SMS: types the number, types the code the phone received, ends at the relying party', async () => {
    const page = await tab();
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    await page.getByRole('link', { name: 'Use your phone number' }).click();
    await page.waitForURL(/\/phone$/);
    assert.equal(await page.title(), `Sign in with your phone · ${tenant.name}`);
    const phone = randomMobile('GB');
    const since = vendors.twilio.messages.length;
    await page.getByLabel('Phone number').fill(phone);
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.waitForURL(/\/code\/[^/]+$/);
    assert.equal(await page.title(), `Enter your code · ${tenant.name}`);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'code', 'the code field has focus');
    assert.equal(await page.getByLabel('Code').getAttribute('autocomplete'), 'one-time-code');
    const code = await codeFrom.twilioMessage(vendors, phone, since);
    await page.keyboard.type(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    const claims = await landOnRelyingParty(page, flow.result);
    assert.deepEqual(claims.amr, ['sms']);
    await page.context().close();
  });

  it('magic link: opened in the same browser, it ends at the relying party', async () => {
    const user = await createUser(server, tenant.slug);
    const page = await tab();
    const { flow, link } = await askForLink(page, user.email);
    await page.goto(link);
    const claims = await landOnRelyingParty(page, flow.result);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    await page.context().close();
  });

  it('magic link opened in another browser: that one is told it works only where it was asked for; the first is unchanged', async () => {
    const user = await createUser(server, tenant.slug);
    const first = await tab();
    const { flow, link } = await askForLink(first, user.email);
    assert.equal(await first.locator('meta[http-equiv="refresh"]').count(), 0, 'the waiting page does not reload');

    const second = await tab();
    await second.goto(link);
    assert.equal(await second.title(), `Open the link where you asked for it · ${tenant.name}`);
    assert.equal(await second.locator('h1').textContent(), 'This link works only in the browser where you asked for it');
    assert.equal(await second.locator('form, a').count(), 0, 'nothing to approve');
    assert.ok(!second.url().startsWith(rp.redirectUri), 'the second browser is not signed in');

    await first.reload();
    assert.equal(await first.locator('h1').textContent(), 'Check your email', 'the first browser was given nothing');
    assert.equal(await first.locator('form').count(), 0);
    await first.goto(link);
    const claims = await landOnRelyingParty(first, flow.result);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    await first.context().close();
    await second.context().close();
  });
});
