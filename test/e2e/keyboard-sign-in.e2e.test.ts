// Keyboard-only sign-in on every method (issue #14) in headless Chromium: no click, no fill — only Tab, Enter and
// typed characters, as a person without a mouse (or with a screen reader) signs in. Password, a code by email, a
// magic link (asked for with the keyboard, then opened from the email like any link), a code by SMS and by WhatsApp
// (the vendors' local stand-ins receive them), "Continue with Google" (a second oidc-provider plays Google) and a
// passkey (the DevTools virtual authenticator, registered on the account page with the keyboard too) each end at
// the relying party. GitHub, Discord, Apple, a generic OpenID Connect issuer and the second-factor steps are in
// keyboard-connections-mfa.e2e.test.ts; the keyboard helpers in ../support/keyboard.ts.
// WebAuthn refuses IP addresses as RP ids, so this server's public URL is http://localhost:{port}.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { addVirtualAuthenticator, appSignIn, focusedOnOpen, keyboardTab, tabTo, typeInto } from '../support/keyboard.js';
import { codeFrom, randomMobile, readOutbox, startVendors, vendorSettings, waitFor, type Vendors } from '../support/phone-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty, type SignedIn } from '../support/relying-party-server.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';

describe('keyboard-only sign-in on every method (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let slug: string;
  let issuer: string;
  let origin: string;
  let config: oidc.Configuration;
  let vendors: Vendors;
  let google: OidcUpstream;

  before(async () => {
    chromium = await launchChromium();
    [services, rp, vendors, google] = await Promise.all([createTestServices(), startRelyingParty(), startVendors(), startOidcUpstream('google')]);
    const port = await freePort();
    origin = `http://localhost:${port}`;
    server = await startServer(services.env, { port, publicUrl: origin });
    ({ slug, issuer } = await createTenant(server));
    const googleApp = google.registerClient({ redirectUris: [`${issuer}/federated/callback`] });
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      signIn: { methods: { emailOtp: true, magicLink: true, passkey: true, smsOtp: true, whatsappOtp: true }, signUp: true },
      messaging: { whatsapp: vendorSettings.whatsapp(vendors), sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
      connections: { google: { type: 'google', clientId: googleApp.clientId, clientSecret: googleApp.clientSecret, issuer: google.issuer } },
    })]);
    const client = await createClient(server, slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await vendors?.close();
    await google?.close();
    await server?.stop();
    await services?.drop();
  });

  const tab = () => keyboardTab(chromium);
  const { start: startSignIn, land: landOnRelyingParty } = appSignIn(() => rp, () => config);

  /** the newest outbox message to `email` after `since` messages */
  const messageTo = (email: string, since: number) => waitFor(`a message to ${email}`, async () => {
    const entries = await readOutbox(issuer);
    return entries.length > since ? entries.find((e) => e.to === email) : undefined;
  });

  it('password: types the email and password, Enter signs in', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    const flow = await startSignIn(page);
    await typeInto(page, 'Email', user.email);
    await typeInto(page, 'Password', user.password);
    await page.keyboard.press('Enter');
    const claims = await landOnRelyingParty(page, flow.result);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['pwd']);
    await page.context().close();
  });

  it('a code by email: types the email, tabs to "Email me a sign-in code", types the code, Enter', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    const flow = await startSignIn(page);
    const since = (await readOutbox(issuer)).length;
    await typeInto(page, 'Email', user.email);
    await tabTo(page, { text: 'Email me a sign-in code' });
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/code\/[^/]+$/);
    const { code } = await messageTo(user.email, since);
    // the code field has the focus when the page opens
    assert.equal((await focusedOnOpen(page)).label, 'Code');
    await page.keyboard.type(code!);
    await page.keyboard.press('Enter');
    const claims = await landOnRelyingParty(page, flow.result);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    await page.context().close();
  });

  it('a magic link: types the email, tabs to "Email me a sign-in link", then opens the link from the email', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    const flow = await startSignIn(page);
    const since = (await readOutbox(issuer)).length;
    await typeInto(page, 'Email', user.email);
    await tabTo(page, { text: 'Email me a sign-in link' });
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/magic-sent\//);
    const { link } = await messageTo(user.email, since);
    await page.goto(link!);
    const claims = await landOnRelyingParty(page, flow.result);
    assert.equal(claims.sub, user.id);
    await page.context().close();
  });

  // amr (RFC 8176): "sms" for a text message, "otp" for a code by WhatsApp (not a text message)
  for (const [channel, button, amr, readCode] of [
    ['SMS', 'Text me a code', 'sms', (phone: string) => codeFrom.twilioMessage(vendors, phone)],
    ['WhatsApp', 'Send the code on WhatsApp', 'otp', (phone: string) => codeFrom.whatsapp(vendors, phone)],
  ] as const) {
    it(`a code by ${channel}: tabs to "Use your phone number", types the number, tabs to "${button}", types the code, Enter`, async () => {
      const phone = randomMobile('GB');
      const page = await tab();
      const flow = await startSignIn(page);
      await tabTo(page, { text: 'Use your phone number' });
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/phone$/);
      await typeInto(page, 'Phone number', phone);
      await tabTo(page, { text: button });
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/code\/[^/]+$/);
      const code = await readCode(phone);
      assert.equal((await focusedOnOpen(page)).label, 'Code', 'the code field has the focus when the page opens');
      await page.keyboard.type(code);
      await page.keyboard.press('Enter');
      const claims = await landOnRelyingParty(page, flow.result);
      assert.deepEqual(claims.amr, [amr]);
      vendors.assertNoRejections();
      await page.context().close();
    });
  }

  it('Google: tabs to "Continue with Google", Enter, and comes back signed in', async () => {
    const page = await tab();
    google.signInAs({ sub: `kb-${Date.now()}`, email: `kb-${Date.now()}@example.test`, email_verified: true, given_name: 'Kay', family_name: 'Board' });
    const flow = await startSignIn(page);
    await tabTo(page, { text: 'Continue with Google' });
    await page.keyboard.press('Enter');
    const claims = await landOnRelyingParty(page, flow.result);
    assert.deepEqual(claims.amr, ['fed']);
    assert.deepEqual(google.rejections.splice(0), []);
    await page.context().close();
  });

  it('a passkey: added on the account page and used to sign in, both with the keyboard alone', async () => {
    const user = await createUser(server, slug);
    const page = await tab();
    await addVirtualAuthenticator(page);

    // sign in to the account pages with the password, and add a passkey there
    await page.goto(`${origin}/t/${slug}/account/passkeys`);
    await tabTo(page, { text: 'Sign in' });
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname.includes('/interaction/'));
    await typeInto(page, 'Email', user.email);
    await typeInto(page, 'Password', user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/t/${slug}/account/passkeys`);
    await page.locator('form[data-passkey-mode="register"][data-passkey-ready]').waitFor();
    await tabTo(page, { text: 'Add a passkey' });
    await page.keyboard.press('Enter');
    await page.getByText('Your passkey was added.').waitFor();

    // signed out (a new sign-in), the passkey button alone signs in
    await page.context().clearCookies();
    const flow = await startSignIn(page);
    await page.locator('form[data-passkey-mode="login"][data-passkey-ready]').waitFor();
    await tabTo(page, { text: 'Sign in with a passkey' });
    await page.keyboard.press('Enter');
    const claims = await landOnRelyingParty(page, flow.result);
    assert.equal(claims.sub, user.id);
    assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa']);
    await page.context().close();
  });
});
