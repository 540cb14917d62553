// Passkeys in a real browser (issue #5): headless Chromium with the DevTools virtual authenticator (a platform
// authenticator with discoverable credentials and user verification) registers a passkey on the account page, signs
// in with it alone, uses it as the second factor after a password, renames and removes it. WebAuthn refuses IP
// addresses as RP ids, so this server's public URL is http://localhost:{port}.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { auditEvents } from '../support/phone-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';

type VirtualCredential = { credentialId: string; isResidentCredential: boolean; rpId?: string; privateKey: string; userHandle?: string; signCount: number };
type User = Awaited<ReturnType<typeof createUser>>;

const ACR_MFA = 'urn:tessera:acr:mfa';
const authenticator = { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } as const;

describe('passkeys in a real browser (Chromium, virtual authenticator)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let slug: string;
  let origin: string;
  let config: oidc.Configuration;

  before(async () => {
    chromium = await launchChromium();
    [services, rp] = await Promise.all([createTestServices(), startRelyingParty()]);
    const port = await freePort();
    origin = `http://localhost:${port}`;
    server = await startServer(services.env, { port, publicUrl: origin });
    slug = (await createTenant(server)).slug;
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ signIn: { methods: { passkey: true } } })]);
    const client = await createClient(server, slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(server.issuer(slug), client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await services?.drop();
  });

  /**
   * A fresh browser profile whose one tab has a virtual authenticator holding `credentials`. The virtual
   * authenticator answers a conditional (autofill) request at once, where a person would pick the passkey from the
   * field's suggestions: so unless `autofill` is asked for, the browser is one without conditional mediation, and a
   * passkey signs in only through its button.
   */
  async function browserWithAuthenticator(credentials: VirtualCredential[] = [], options: { autofill?: boolean } = {}) {
    const context: BrowserContext = await chromium.newContext();
    if (!options.autofill) {
      await context.addInitScript(() => {
        Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
      });
    }
    const page: Page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: authenticator });
    for (const credential of credentials) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    return {
      page,
      credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[],
      close: () => context.close(),
    };
  }

  /** presses a passkey form's button once views/assets/passkeys.js has taken the form over */
  async function pressPasskeyButton(page: Page, mode: 'login' | 'mfa' | 'register') {
    await page.locator(`form[data-passkey-mode="${mode}"][data-passkey-ready] [data-passkey-button]`).click();
  }

  const passkeysUrl = () => `${origin}/t/${slug}/account/passkeys`;

  /** signs in to the account pages (through the tenant's account client) and opens the passkeys page */
  async function openPasskeysPage(page: Page, how: { user: User } | 'passkey') {
    await page.goto(passkeysUrl());
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    if (how === 'passkey') {
      await pressPasskeyButton(page, 'login');
    } else {
      await page.getByLabel('Email').fill(how.user.email);
      await page.getByLabel('Password').fill(how.user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
    // the sign-in returns to the page that asked for it (issue #14: the destination survives the interstitial)
    await page.waitForURL(passkeysUrl());
    await page.getByText('Signed in as').waitFor();
  }

  async function addPasskey(page: Page, name: string) {
    await page.getByLabel('Name (optional)').fill(name);
    await pressPasskeyButton(page, 'register');
    await page.getByText('Your passkey was added.').waitFor();
  }

  /** a user of the tenant who registered one passkey (in a browser of its own, since closed): its credential */
  async function userWithPasskey(): Promise<{ user: User; credential: VirtualCredential }> {
    const user = await createUser(server, slug);
    const browser = await browserWithAuthenticator();
    await openPasskeysPage(browser.page, { user });
    await addPasskey(browser.page, 'Laptop');
    const [credential] = await browser.credentials();
    await browser.close();
    return { user, credential: credential! };
  }

  it('a signed-in user registers a passkey on the account page: discoverable, listed, and not twice on one device', async () => {
    const user = await createUser(server, slug);
    const browser = await browserWithAuthenticator();
    const { page } = browser;
    await openPasskeysPage(page, { user });
    const response = await page.reload();
    assert.match(response!.headers()['content-security-policy']!, /script-src 'self';/);
    assert.doesNotMatch(response!.headers()['content-security-policy']!, /unsafe/);
    await page.getByText('You have no passkeys yet.').waitFor();

    await addPasskey(page, 'My laptop');
    const items = page.locator('li[data-passkey-id]');
    assert.equal(await items.count(), 1);
    assert.match((await items.first().textContent())!, /My laptop · added \d{4}-\d{2}-\d{2} · never used/);
    const credentials = await browser.credentials();
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'residentKey required: a discoverable credential');
    assert.equal(credentials[0]!.rpId, 'localhost');
    assert.equal(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('utf8'), user.id, 'the user handle is the user id, nothing personal');

    // excludeCredentials: the authenticator that holds one already refuses a second
    await pressPasskeyButton(page, 'register');
    await page.locator('[data-passkey-error]').getByText('This device already holds a passkey for your account.').waitFor();
    assert.equal(await items.count(), 1);
    assert.equal((await browser.credentials()).length, 1);
    await browser.close();
  });

  it('"Sign in with a passkey" alone ends at the relying party with amr hwk + mfa (user verified) and the MFA acr', async () => {
    const { user, credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator([credential]);
    const flow = await rp.begin(config);
    await browser.page.goto(flow.url.href);
    await pressPasskeyButton(browser.page, 'login');
    await browser.page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const { claims } = await flow.result;
    assert.equal(claims.sub, user.id);
    assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    const [after] = await browser.credentials();
    assert.ok(after!.signCount > credential.signCount, 'the authenticator counted the use');
    await browser.close();
  });

  it('where the browser offers passkeys in autofill (conditional mediation), choosing the passkey there signs in', async () => {
    const { user, credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator([credential], { autofill: true });
    const flow = await rp.begin(config);
    const posted = browser.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/passkey'));
    await browser.page.goto(flow.url.href);
    // no button pressed: the virtual authenticator picks the passkey the email field (autocomplete="email webauthn",
    // test/unit/views.test.ts) offers
    await posted;
    await browser.page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const { claims } = await flow.result;
    assert.equal(claims.sub, user.id);
    assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa']);
    await browser.close();
  });

  it('after a password, a user with a passkey is asked for it as the second factor, and signs in with pwd + hwk + mfa', async () => {
    const { user, credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator([credential]);
    const { page } = browser;
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    await pressPasskeyButton(page, 'mfa');
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const { claims } = await flow.result;
    assert.equal(claims.sub, user.id);
    assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa', 'pwd']);
    assert.equal(claims.acr, ACR_MFA);
    await browser.close();
  });

  it('at the second factor only the waiting user’s own passkeys count: another user’s valid assertion is refused', async () => {
    const victim = await userWithPasskey();
    const intruder = await userWithPasskey();
    const browser = await browserWithAuthenticator([intruder.credential]);
    const { page } = browser;
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    await page.getByLabel('Email').fill(victim.user.email);
    await page.getByLabel('Password').fill(victim.user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    // what a tampered page would do: take the challenge, but let the authenticator answer with any passkey it holds
    await page.evaluate(async () => {
      const b64 = (buffer: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const bytes = (value: string) => Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const form = document.querySelector<HTMLFormElement>('form[data-passkey-mode="mfa"]')!;
      const options = await (await fetch(form.dataset.optionsUrl!)).json() as { challenge: string; rpId: string; allowCredentials: unknown[] };
      if (options.allowCredentials.length !== 1) throw new Error('the options list the waiting user’s passkeys');
      const credential = await navigator.credentials.get({ publicKey: { challenge: bytes(options.challenge), rpId: options.rpId, allowCredentials: [] } }) as PublicKeyCredential;
      const response = credential.response as AuthenticatorAssertionResponse;
      form.querySelector<HTMLInputElement>('input[name="credential"]')!.value = JSON.stringify({
        id: credential.id, rawId: b64(credential.rawId), type: credential.type, clientExtensionResults: {},
        response: { clientDataJSON: b64(response.clientDataJSON), authenticatorData: b64(response.authenticatorData), signature: b64(response.signature), userHandle: b64(response.userHandle!) },
      });
      HTMLFormElement.prototype.submit.call(form);
    });
    await page.waitForURL((url) => url.pathname.endsWith('/mfa') && url.searchParams.get('passkey') === 'failed');
    const failed = (await auditEvents(server, slug, ['mfa.failed'])).filter((e) => e.subject === victim.user.id || e.subject === intruder.user.id);
    assert.deepEqual(failed.map((e) => [e.subject, e.data]), [[victim.user.id, { factor: 'passkey', reason: 'wrong_user' }]]);
    await browser.close();
  });

  it('failed passkey assertions at the second factor lock the account like wrong passwords', async () => {
    const { user, credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator();
    const { page } = browser;
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    const form = page.locator('form[data-passkey-mode="mfa"]');
    const action = new URL((await form.getAttribute('action'))!, origin).href;
    const csrf = (await form.locator('input[name="_csrf"]').getAttribute('value'))!;
    // well-formed, but signed by nobody for a challenge never issued
    const forged = JSON.stringify({
      id: credential.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), rawId: 'AA', type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'A'.repeat(43), origin })).toString('base64url'), authenticatorData: 'AA', signature: 'AA' },
    });
    const attempt = () => page.request.post(action, { form: { _csrf: csrf, credential: forged }, maxRedirects: 0 });
    for (let i = 1; i <= 10; i++) {
      const response = await attempt();
      assert.equal(response.status(), 303);
      assert.match(response.headers().location!, /\/mfa\?passkey=failed$/, `attempt ${i}`);
    }
    const locked = await attempt();
    assert.match(locked.headers().location!, /\/mfa\?passkey=locked$/);
    assert.ok(Number(locked.headers()['retry-after']) > 0);
    assert.equal((await auditEvents(server, slug, ['mfa.failed'])).filter((e) => e.subject === user.id).length, 10);
    assert.equal((await auditEvents(server, slug, ['mfa.locked'])).filter((e) => e.subject === user.id).length, 1);
    await browser.close();
  });

  it('a passkey is renamed, then removed, and the removed passkey no longer signs in', async () => {
    const { user, credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator([credential]);
    const { page } = browser;
    await openPasskeysPage(page, 'passkey');
    const item = page.locator('li[data-passkey-id]');
    assert.match((await item.textContent())!, /Laptop · added \d{4}-\d{2}-\d{2} · last used \d{4}-\d{2}-\d{2}/);

    await item.getByLabel('New name').fill('Work laptop');
    await item.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('The passkey was renamed.').waitFor();
    assert.equal(await page.locator('li[data-passkey-id] .passkey-name').textContent(), 'Work laptop');

    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    await page.getByText('The passkey was removed.').waitFor();
    assert.equal(await page.locator('li[data-passkey-id]').count(), 0);
    await browser.close();

    const again = await browserWithAuthenticator([credential]);
    const flow = await rp.begin(config);
    await again.page.goto(flow.url.href);
    const answered = again.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/passkey'));
    await pressPasskeyButton(again.page, 'login');
    assert.equal((await answered).status(), 400);
    await again.page.locator('#form-error').getByText('That passkey could not be used to sign in.').waitFor();
    assert.ok(new URL(again.page.url()).pathname.startsWith(`/t/${slug}/interaction/`), 'still on the sign-in page');
    await again.close();

    const events = await auditEvents(server, slug, ['passkey.registered', 'passkey.renamed', 'passkey.removed', 'login.failed']);
    assert.deepEqual(events.filter((e) => e.subject === user.id).map((e) => e.type), ['passkey.registered', 'passkey.renamed', 'passkey.removed']);
    // a credential nobody holds any more names no user
    assert.deepEqual(events.at(-1), { type: 'login.failed', subject: null, actor: null, outcome: 'failure', data: { method: 'passkey', reason: 'unknown_credential' } });
  });

  it('bad input to the passkey endpoints gets a 4xx answer, never a 500', async () => {
    const anonymous = async (method: string, path: string, body?: string) => {
      const response = await fetch(`${origin}${path}`, { method, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
    };
    const interaction = `/t/${slug}/interaction/no-such-interaction`;
    const options = await anonymous('GET', `${interaction}/passkey/options`);
    assert.equal(options.status, 400);
    assert.equal(JSON.parse(options.text).error, 'request.invalid');
    assert.equal((await anonymous('GET', `${interaction}/mfa/passkey/options`)).status, 400);
    assert.equal((await anonymous('POST', `${interaction}/passkey`, 'credential=x')).status, 400);
    assert.equal((await anonymous('POST', `${interaction}/mfa/passkey`, 'credential=x')).status, 400);
    assert.equal((await anonymous('GET', `/t/${slug}/account/passkeys/options`)).status, 401);
    for (const path of ['', '/x/rename', '/x/remove']) assert.equal((await anonymous('POST', `/t/${slug}/account/passkeys${path}`, '_csrf=x')).status, 401, path);
    const script = await anonymous('GET', '/assets/passkeys.js');
    assert.equal(script.status, 200);
    assert.match(script.type, /^text\/javascript/);

    // signed in, with this session's CSRF token
    const { credential } = await userWithPasskey();
    const browser = await browserWithAuthenticator([credential]);
    const { page } = browser;
    await openPasskeysPage(page, 'passkey');
    const csrf = (await page.locator('#passkey-register input[name="_csrf"]').getAttribute('value'))!;
    const id = (await page.locator('li[data-passkey-id]').getAttribute('data-passkey-id'))!;
    const post = (path: string, form: Record<string, string>) => page.request.post(`${passkeysUrl()}${path}`, { form, maxRedirects: 0 });
    const refused: [string, Record<string, string>, number][] = [
      ['', { _csrf: 'forged', credential: '{}' }, 403],
      ['', { _csrf: csrf, credential: '' }, 400],
      ['', { _csrf: csrf, credential: '{"id":"a","rawId":"a","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"AA"}}' }, 400],
      ['', { _csrf: csrf, credential: 'x'.repeat(70_000) }, 413],
      [`/${id}/rename`, { _csrf: csrf, name: '\u0000 \t' }, 400],
      ['/00000000-0000-4000-8000-000000000000/rename', { _csrf: csrf, name: 'Mine now' }, 404],
      ['/not-a-uuid/remove', { _csrf: csrf }, 404],
    ];
    for (const [path, form, status] of refused) {
      assert.equal((await post(path, form)).status(), status, `${path} ${JSON.stringify(form).slice(0, 80)}`);
    }
    assert.equal(await page.locator('li[data-passkey-id]').count(), 1, 'nothing changed');
    await browser.close();
  });
});
