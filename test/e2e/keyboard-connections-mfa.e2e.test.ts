// Keyboard-only sign-in (issue #14), the methods keyboard-sign-in.e2e.test.ts leaves: "Continue with" GitHub,
// Discord, Apple (its form_post answer run by the browser) and a generic OpenID Connect issuer, each against its
// local stand-in; and every second-factor step after a password — an authenticator-app code, a recovery code, a
// code by email or by SMS, a passkey (the DevTools virtual authenticator). The factors are set up on the account
// pages with the keyboard too (the SMS number is put on the account directly). No click, no fill: Tab, Enter and
// typed characters; each ends at the relying party with its amr.
// WebAuthn refuses IP addresses as RP ids, so this server's public URL is http://localhost:{port}.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { appleKey } from '../support/federation-flows.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { addVirtualAuthenticator, appSignIn, focusedOnOpen, keyboardTab, tabTo, typeInto } from '../support/keyboard.js';
import { totpCode } from '../support/mfa-flows.js';
import { query } from '../support/email-flows.js';
import { codeFrom, randomMobile, readOutbox, startVendors, vendorSettings, waitFor, type Vendors } from '../support/phone-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty, type SignedIn } from '../support/relying-party-server.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { startDiscordStandIn, type DiscordStandIn } from '../support/upstreams/discord-stand-in.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/upstreams/github-stand-in.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';

const unique = () => randomBytes(4).toString('hex');

describe('keyboard-only sign-in with GitHub, Discord, Apple, OpenID Connect and every second factor (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let slug: string;
  let issuer: string;
  let origin: string;
  let config: oidc.Configuration;
  let github: GitHubStandIn;
  let discord: DiscordStandIn;
  let apple: OidcUpstream;
  let generic: OidcUpstream;
  let vendors: Vendors;

  before(async () => {
    chromium = await launchChromium();
    [services, rp, github, discord, apple, generic, vendors] = await Promise.all([
      createTestServices(), startRelyingParty(), startGitHubStandIn(), startDiscordStandIn(), startOidcUpstream('apple'), startOidcUpstream('generic'), startVendors(),
    ]);
    const port = await freePort();
    origin = `http://localhost:${port}`;
    server = await startServer(services.env, { port, publicUrl: origin });
    ({ slug, issuer } = await createTenant(server));
    const redirectUris = [`${issuer}/federated/callback`];
    const gh = github.registerClient({ redirectUris });
    const dc = discord.registerClient({ redirectUris });
    const key = appleKey();
    const ap = apple.registerClient({ redirectUris, apple: { teamId: 'TEAM123456', keyId: 'KEY1234567', publicKey: key.publicKey } });
    const op = generic.registerClient({ redirectUris });
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      signIn: { methods: { passkey: true }, signUp: true },
      connections: {
        github: { type: 'github', clientId: gh.clientId, clientSecret: gh.clientSecret, baseUrl: github.url, apiUrl: github.url, order: 1 },
        discord: { type: 'discord', clientId: dc.clientId, clientSecret: dc.clientSecret, baseUrl: discord.url, order: 2 },
        apple: { type: 'apple', clientId: ap.clientId, teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: key.privateKeyPem, issuer: apple.issuer, order: 3 },
        corp: { type: 'oidc', displayName: 'Corp ID', clientId: op.clientId, clientSecret: op.clientSecret, issuer: generic.issuer, order: 4 },
      },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
      mfa: { policy: 'optional' },
    })]);
    const client = await createClient(server, slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await Promise.all([github?.close(), discord?.close(), apple?.close(), generic?.close(), vendors?.close()]);
    await server?.stop();
    await services?.drop();
  });

  const tab = () => keyboardTab(chromium);
  const { start: startSignIn, land: landOnRelyingParty } = appSignIn(() => rp, () => config);

  async function typePassword(page: Page, user: { email: string; password: string }) {
    await typeInto(page, 'Email', user.email);
    await typeInto(page, 'Password', user.password);
    await page.keyboard.press('Enter');
  }

  /** signs in to an account page by its "Sign in" link and the password, all by keyboard; lands back on it */
  async function accountPage(page: Page, path: string, user: { email: string; password: string }) {
    await page.goto(`${issuer}/account/${path}`);
    await tabTo(page, { text: 'Sign in' });
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname.includes('/interaction/'));
    await typePassword(page, user);
    await page.waitForURL(`${issuer}/account/${path}`);
  }

  /** sets up an authenticator app on the account pages by keyboard: its secret and the recovery codes shown */
  async function enrolTotp(page: Page, user: { email: string; password: string }) {
    await accountPage(page, 'security', user);
    await page.goto(`${issuer}/account/security/totp`);
    const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
    await typeInto(page, 'Code from the app', await totpCode(secret));
    await page.keyboard.press('Enter');
    await page.locator('#recovery-codes li code').first().waitFor();
    const codes = await page.locator('#recovery-codes li code').allTextContents();
    await page.context().clearCookies();
    return { secret, codes };
  }

  /** a password sign-in that stops at the second-factor page */
  async function toSecondFactor(page: Page, user: { email: string; password: string }) {
    const flow = await startSignIn(page);
    await typePassword(page, user);
    await page.waitForURL(/\/mfa$/);
    return flow;
  }

  describe('"Continue with" a connection', () => {
    const connections: Array<[string, () => void, () => Array<unknown>]> = [
      ['GitHub', () => github.signInAs({ id: randomInt(1, 2 ** 31), login: `kb-${unique()}`, name: 'Kay Hub', emails: [{ email: `kb-${unique()}@example.test`, primary: true, verified: true, visibility: null }] }), () => github.rejections],
      ['Discord', () => discord.signInAs({ id: String(BigInt(Date.now() - 1_420_070_400_000) << 22n), username: `kb_${unique()}`, email: `kb-${unique()}@example.test`, verified: true }), () => discord.rejections],
      ['Apple', () => apple.signInAs({ sub: `001234.${unique()}`, email: `kb-${unique()}@privaterelay.appleid.test`, email_verified: 'true', given_name: 'Kay', family_name: 'Board' }), () => apple.rejections],
      ['Corp ID', () => generic.signInAs({ sub: `kb-${unique()}`, email: `kb-${unique()}@example.test`, email_verified: true, name: 'Kay Board' }), () => generic.rejections],
    ];
    for (const [name, queue, rejections] of connections) {
      it(`${name}: tabs to "Continue with ${name}", Enter, and comes back signed in with amr ["fed"]`, async () => {
        const page = await tab();
        queue();
        const flow = await startSignIn(page);
        await tabTo(page, { text: `Continue with ${name}` });
        await page.keyboard.press('Enter');
        const claims = await landOnRelyingParty(page, flow.result);
        assert.deepEqual(claims.amr, ['fed']);
        assert.deepEqual(rejections().splice(0), []);
        await page.context().close();
      });
    }
  });

  describe('second factors after the password', () => {
    it('an authenticator app: set up by keyboard, then its code typed on the second-factor page', async () => {
      const user = await createUser(server, slug);
      const page = await tab();
      const { secret } = await enrolTotp(page, user);
      const flow = await toSecondFactor(page, user);
      assert.equal((await focusedOnOpen(page)).label, 'Code from your authenticator app', 'the code field has the focus when the page opens');
      // the next time step: the one the set-up used is spent
      await page.keyboard.type(await totpCode(secret, Date.now() + 30_000));
      await page.keyboard.press('Enter');
      const claims = await landOnRelyingParty(page, flow.result);
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      await page.context().close();
    });

    it('a recovery code: Enter on "Use a recovery code" opens its field; the code typed there, Enter', async () => {
      const user = await createUser(server, slug);
      const page = await tab();
      const { codes } = await enrolTotp(page, user);
      const flow = await toSecondFactor(page, user);
      await tabTo(page, { text: 'Use a recovery code' });
      await page.keyboard.press('Enter');
      await typeInto(page, 'Recovery code', codes[0]!);
      await page.keyboard.press('Enter');
      const claims = await landOnRelyingParty(page, flow.result);
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      await page.context().close();
    });

    // amr (RFC 8176): "otp" for the emailed code, "sms" for the texted one
    for (const [channel, button, amr] of [['email', 'Email a code to ', 'otp'], ['SMS', 'Text a code to ', 'sms']] as const) {
      it(`a code by ${channel}: tabs to "${button}…", Enter, types the code it sent, Enter`, async () => {
        const user = await createUser(server, slug);
        const phone = randomMobile('GB');
        // a verified number on the account (as a phone sign-up or a profile change leaves it): the tenant offers texting it
        if (channel === 'SMS') await query(services.env.DATABASE_URL!, 'UPDATE users SET phone = $2, phone_verified = true WHERE id = $1', [user.id, phone]);
        const page = await tab();
        await enrolTotp(page, user);
        const flow = await toSecondFactor(page, user);
        const since = (await readOutbox(issuer)).length;
        const label = await page.locator('button', { hasText: new RegExp(`^${button}`) }).textContent();
        await tabTo(page, { text: label!.trim() });
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/code\/[^/]+$/);
        const code = channel === 'SMS' ? await codeFrom.twilioMessage(vendors, phone) : (await waitFor(`a code to ${user.email}`, async () => {
          const entries = await readOutbox(issuer);
          return entries.length > since ? entries.find((e) => e.to === user.email) : undefined;
        })).code!;
        assert.equal((await focusedOnOpen(page)).label, 'Code', 'the code field has the focus when the page opens');
        await page.keyboard.type(code);
        await page.keyboard.press('Enter');
        const claims = await landOnRelyingParty(page, flow.result);
        assert.equal(claims.sub, user.id);
        assert.deepEqual(claims.amr, ['pwd', amr, 'mfa']);
        vendors.assertNoRejections();
        await page.context().close();
      });
    }

    it('a passkey: added on the account page by keyboard, then "Use a passkey" on the second-factor page', async () => {
      const user = await createUser(server, slug);
      const page = await tab();
      await addVirtualAuthenticator(page);
      await accountPage(page, 'passkeys', user);
      await page.locator('form[data-passkey-mode="register"][data-passkey-ready]').waitFor();
      await tabTo(page, { text: 'Add a passkey' });
      await page.keyboard.press('Enter');
      await page.getByText('Your passkey was added.').waitFor();
      await page.context().clearCookies();

      const flow = await toSecondFactor(page, user);
      await page.locator('form[data-passkey-mode="mfa"][data-passkey-ready]').waitFor();
      await tabTo(page, { text: 'Use a passkey' });
      await page.keyboard.press('Enter');
      const claims = await landOnRelyingParty(page, flow.result);
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
      await page.context().close();
    });
  });
});
