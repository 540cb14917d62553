// test-group: lane (a browser of its own; was serial, no reason recorded: it passed beside the suite under full load)
// The app SDK (tessera/client, issue #18 §1) in headless Chromium, loaded as built on a page of its own origin that
// the tenant allows (CORS): sign-up with the code from the outbox, MFA (TOTP enrolment, the challenge at the next
// sign-in), refresh, sign-out; passkeys on a virtual authenticator (register, first factor, second factor); a PKCE
// sign-in link (the verifier in localStorage; the app's page the link opens exchanges it: signed in in this browser,
// refused in a fresh context, another device); three tabs of one browser refreshing at the same moment, twenty
// times, after which the user is still signed in in every tab (one rotation per round, no family revoked); and a tab
// whose BroadcastChannel delivers nothing until after another tab presented the same token (the claim window outrun).
// Serial: three Chromium tabs timing a refresh to the same millisecond must not share two cores with other suites.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { codeFromOutbox, linkFromOutbox, uniqueEmail } from '../support/email-flows.js';
import { errorCatalogue } from '../../src/errors/error-catalogue.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { confirmPath, startSdkTestPage } from '../support/sdk-test-page.js';
import { useTessera } from '../support/use-tessera.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the page's globals */
type PageWindow = Window & { client: any; sdk: any; refreshes: number; events: string[]; makeClient(issuer: string): boolean; ready: boolean };

describe('app SDK tessera/client in headless Chromium', () => {
  const server = useTessera();
  let chromium: Chromium;
  let app: Awaited<ReturnType<typeof startSdkTestPage>>;
  let slug: string;
  let issuer: string;

  before(async () => {
    chromium = await launchChromium();
    app = await startSdkTestPage();
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      headless: { restApi: true, allowedOrigins: [app.origin], redirectUris: [`${app.origin}${confirmPath}`] },
      signIn: { signUp: true, methods: { passkey: true, magicLink: true } },
      mfa: { webauthn: { rpId: 'localhost', origins: [app.origin] } },
    })]);
  });
  after(async () => {
    await chromium?.close();
    await app?.close();
  });

  /** a tab of the app at `url` (its home page by default) with the page's client made */
  async function openTab(context: BrowserContext, url = `${app.origin}/`): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as PageWindow).ready === true);
    await page.evaluate((iss) => (window as unknown as PageWindow).makeClient(iss), issuer);
    return page;
  }

  /** runs `script` (an async function body) in the page with its client's `auth` and `arg` */
  const authIn = (page: Page) => <T>(script: string, arg?: unknown): Promise<T> =>
    page.evaluate(([s, a]) => new Function('auth', 'arg', `return (async () => { ${s} })()`)((window as unknown as PageWindow).client.auth, a), [script, arg] as const) as Promise<T>;

  it('sign-up with the code from the outbox signs the new user in', async () => {
    const context = await chromium.newContext();
    try {
      const page = await openTab(context);
      const email = uniqueEmail('sdk');
      const password = 'correct horse battery staple 42';
      const sent = await page.evaluate(([e, p]) => (window as unknown as PageWindow).client.auth.signUpWithEmail({ email: e, password: p, user_metadata: { name: 'Ada Lovelace' } }), [email, password] as const);
      assert.equal(sent.status, 'code_sent');
      const code = await codeFromOutbox(issuer, email);
      const result = await page.evaluate(([e, c]) => (window as unknown as PageWindow).client.auth.verifySignup({ email: e, code: c }), [email, code] as const);
      assert.equal(result.status, 'signed_in');
      assert.equal(await page.evaluate(() => (window as unknown as PageWindow).client.auth.getUser().then((u: { email: string }) => u.email)), email);
    } finally {
      await context.close();
    }
  });

  it('MFA enrolment, the challenge at the next sign-in, refresh and sign-out', async () => {
    const user = await createUser(server, slug);
    const context = await chromium.newContext();
    try {
      const page = await openTab(context);
      const auth = authIn(page);

      assert.equal(await auth<string>('return (await auth.signIn(arg)).status', { email: user.email, password: user.password }), 'signed_in');
      const enrolment = await auth<{ factor_id: string; qr_code: string; secret: string }>("return auth.enrollMfaTotp('Phone')");
      assert.match(enrolment.qr_code, /^data:image\/png;base64,/);
      const codes = await auth<{ recovery_codes: string[] }>('return auth.verifyMfaEnrollment(arg.id, arg.code)', { id: enrolment.factor_id, code: await totpCode(enrolment.secret) });
      assert.equal(codes.recovery_codes.length, 10);
      await auth('await auth.signOut()');

      const challenge = await auth<{ status: string; challenge: { id: string; methods: string[] } }>('return auth.signIn(arg)', { email: user.email, password: user.password });
      assert.equal(challenge.status, 'challenge_required');
      const wrong = await auth<{ name: string; code: string; status: number }>("try { await auth.verifyChallenge(arg, '000000') } catch (e) { return { name: e.name, code: e.code, status: e.status } }", challenge.challenge.id);
      assert.deepEqual(wrong, { name: 'TesseraError', code: 'otp.invalid_code', status: 400 });
      const done = await auth<{ status: string; session: { refresh_token: string } }>('return auth.verifyChallenge(arg.id, arg.code)', { id: challenge.challenge.id, code: await totpCode(enrolment.secret, Date.now() + 30_000) });
      assert.equal(done.status, 'signed_in');

      const refreshed = await auth<{ refresh_token: string }>('return auth.refresh()');
      assert.notEqual(refreshed.refresh_token, done.session.refresh_token);
      assert.equal(await auth<string>('return (await auth.getUser()).email'), user.email);
      await auth('await auth.signOut()');
      assert.equal(await auth('return auth.getSession()'), null);
      assert.equal(await page.evaluate(() => localStorage.length), 0);
      const events = await page.evaluate(() => (window as unknown as PageWindow).events);
      assert.deepEqual(events.filter((e) => e !== 'USER_UPDATED'), ['INITIAL_SESSION', 'SIGNED_IN', 'SIGNED_OUT', 'SIGNED_IN', 'TOKEN_REFRESHED', 'SIGNED_OUT']);
    } finally {
      await context.close();
    }
  });

  it('passkeys through the browser\'s WebAuthn API: register, sign in with it, answer a second-factor challenge with it', async () => {
    const user = await createUser(server, slug);
    const context = await chromium.newContext();
    try {
      const page = await openTab(context);
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable', { enableUI: false });
      await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
      const auth = authIn(page);

      assert.equal(await auth<string>('return (await auth.signIn(arg)).status', { email: user.email, password: user.password }), 'signed_in');
      const registered = await auth<{ factor_id: string; backup_codes: string[] | null }>("return auth.registerPasskey('Laptop')");
      assert.ok(registered.factor_id);
      assert.equal(registered.backup_codes?.length, 10);
      assert.deepEqual((await auth<{ factors: { type: string; name: string }[] }>('return auth.listMfaFactors()')).factors.map((f) => [f.type, f.name]), [['webauthn', 'Laptop']]);
      await auth('await auth.signOut()');

      const first = await auth<{ status: string; user: { email: string } | null }>('return auth.signInWithPasskey()');
      assert.equal(first.status, 'signed_in');
      assert.equal(await auth<string>('return (await auth.getUser()).email'), user.email);
      await auth('await auth.signOut()');

      const challenged = await auth<{ status: string; challenge: { id: string; methods: string[] } }>('return auth.signIn(arg)', { email: user.email, password: user.password });
      assert.equal(challenged.status, 'challenge_required');
      assert.ok(challenged.challenge.methods.includes('webauthn'), challenged.challenge.methods.join());
      assert.equal(await auth<string>('return (await auth.verifyChallengeWithPasskey(arg)).status', challenged.challenge.id), 'signed_in');
      assert.equal(await auth<string>('return (await auth.getUser()).email'), user.email);
    } finally {
      await context.close();
    }
  });

  it('a PKCE sign-in link: the verifier waits in localStorage; opened on another device it is refused, in this browser it signs in', async () => {
    const user = await createUser(server, slug);
    const confirm = `${app.origin}${confirmPath}`;
    const verifierKey = `tessera:${issuer}:tessera-rest:code-verifier`;
    const context = await chromium.newContext();
    const otherDevice = await chromium.newContext();
    try {
      const page = await openTab(context);
      assert.equal(await authIn(page)<string>('return (await auth.signInWithOtp({ email: arg.email, options: { emailRedirectTo: arg.confirm } })).status', { email: user.email, confirm }), 'link_sent');
      assert.match(await page.evaluate((key) => localStorage.getItem(key), verifierKey) ?? '', /^[\w-]{43}$/);
      const link = await linkFromOutbox(issuer, user.email);
      assert.ok(link.startsWith(`${confirm}?type=magiclink&token=`), link);

      // the link opened in a fresh context (another device) and in a new tab of this browser (as a mail client opens
      // it), loaded side by side; the app's page there calls exchangeCodeForSession(location.href)
      const [elsewhere, landing] = await Promise.all([openTab(otherDevice, link), openTab(context, link)]);
      const exchange = "try { return (await auth.exchangeCodeForSession(location.href)).status } catch (e) { return { name: e.name, code: e.code, status: e.status, message: e.message } }";
      // another device holds no verifier: refused with the catalogued error, and nothing is spent
      assert.deepEqual(await authIn(elsewhere)(exchange), { name: 'TesseraError', code: 'pkce.invalid_verifier', status: 400, message: errorCatalogue['pkce.invalid_verifier'].message });
      assert.equal(await authIn(elsewhere)('return auth.getSession()'), null);
      // this browser holds it: signed in, and the verifier forgotten
      assert.equal(await authIn(landing)(exchange), 'signed_in');
      assert.equal(await authIn(landing)<string>('return (await auth.getUser()).email'), user.email);
      assert.equal(await landing.evaluate((key) => localStorage.getItem(key), verifierKey), null);
    } finally {
      await context.close();
      await otherDevice.close();
    }
  });

  it('a tab whose messages arrive late presents the token another tab is presenting: both get the one successor, nobody is signed out', async () => {
    const user = await createUser(server, slug);
    const context = await chromium.newContext();
    try {
      const [early, other, late] = [await openTab(context), await openTab(context), await openTab(context)];
      assert.equal(await authIn(early)<string>('return (await auth.signIn(arg)).status', { email: user.email, password: user.password }), 'signed_in');
      const first = await authIn(early)<string>('return (await auth.getSession()).refresh_token');
      for (const tab of [other, late]) assert.equal(await authIn(tab)<string>('return (await auth.getSession()).refresh_token'), first);

      // `late` hears nothing and says nothing; `early` claims (unopposed), finds the token unrotated and presents
      // it, its request held until `late` has presented the same token and stored the successor
      await late.evaluate(() => (window as unknown as PageWindow & { holdChannel(): void }).holdChannel());
      await early.evaluate(() => {
        const w = window as unknown as PageWindow & { holdRefresh(): void; pending: Promise<string> };
        w.holdRefresh();
        w.pending = w.client.auth.refresh().then((s: { refresh_token: string }) => s.refresh_token, (e: { code?: string }) => `failed: ${e.code}`);
      });
      await early.waitForFunction(() => (window as unknown as PageWindow).refreshes === 1);
      const lateToken = await authIn(late)<string>("return auth.refresh().then((s) => s.refresh_token, (e) => 'failed: ' + e.code)");
      await early.evaluate(() => (window as unknown as PageWindow & { releaseRefresh(): void }).releaseRefresh());
      const earlyToken = await early.evaluate(() => (window as unknown as PageWindow & { pending: Promise<string> }).pending);
      assert.ok(!lateToken.startsWith('failed') && lateToken !== first, lateToken);
      assert.equal(earlyToken, lateToken, 'the second presentation of the token gets the first one\'s successor');
      await late.evaluate(() => (window as unknown as PageWindow & { releaseChannel(): void }).releaseChannel());

      // the family lives: the successor refreshes, and every tab follows it and is signed in
      const next = await authIn(other)<string>('return (await auth.refresh()).refresh_token');
      assert.notEqual(next, lateToken);
      for (const tab of [early, other, late]) {
        assert.equal(await authIn(tab)<string>('return (await auth.getSession()).refresh_token'), next);
        assert.equal(await authIn(tab)<string>('return (await auth.getUser()).email'), user.email);
      }
      // where a tab could know, it did not present: one request each for the two tokens' presentations, no more
      const requests = () => Promise.all([early, other, late].map((tab) => tab.evaluate(() => (window as unknown as PageWindow).refreshes)));
      assert.deepEqual(await requests(), [1, 1, 1]);

      // two late tabs present one token at once, their requests let go together: one is answered while the other
      // runs or after it (the SDK waits out `idempotency.in_progress`), with the same successor either way
      for (const tab of [early, late]) {
        await tab.evaluate(() => {
          const w = window as unknown as PageWindow & { holdChannel(): void; holdRefresh(): void; pending: Promise<string> };
          w.holdChannel();
          w.holdRefresh();
          w.pending = w.client.auth.refresh().then((s: { refresh_token: string }) => s.refresh_token, (e: { code?: string }) => `failed: ${e.code}`);
        });
      }
      for (const tab of [early, late]) await tab.waitForFunction(() => (window as unknown as PageWindow).refreshes === 2);
      await Promise.all([early, late].map((tab) => tab.evaluate(() => (window as unknown as PageWindow & { releaseRefresh(): void }).releaseRefresh())));
      const together = await Promise.all([early, late].map((tab) => tab.evaluate(() => (window as unknown as PageWindow & { pending: Promise<string> }).pending)));
      assert.ok(!together[0]!.startsWith('failed') && together[0] !== next, together[0]);
      assert.equal(together[1], together[0]);
      for (const tab of [early, late]) await tab.evaluate(() => (window as unknown as PageWindow & { releaseChannel(): void }).releaseChannel());
      assert.equal(await authIn(other)<string>('return (await auth.getSession()).refresh_token'), together[0]);
      assert.equal(await authIn(other)<string>('return (await auth.getUser()).email'), user.email);
      // (a request answered `idempotency.in_progress` and repeated counts twice) the tab that heard them sent none
      assert.equal((await requests())[1], 1);
    } finally {
      await context.close();
    }
  });

  it('three tabs refresh at the same moment, twenty times: one rotation a round, the user stays signed in every time', async () => {
    const user = await createUser(server, slug);
    const context = await chromium.newContext();
    try {
      const tabs = [await openTab(context), await openTab(context), await openTab(context)];
      const signedIn = await tabs[0]!.evaluate((u) => (window as unknown as PageWindow).client.auth.signIn(u).then((r: { status: string }) => r.status), { email: user.email, password: user.password });
      assert.equal(signedIn, 'signed_in');
      const seen = new Set<string>();
      for (let round = 1; round <= 20; round++) {
        // one agreed moment on the shared clock, so the three refreshes start together
        const at = Date.now() + 250;
        const tokens = await Promise.all(tabs.map((tab) => tab.evaluate((when) => new Promise((resolve) => setTimeout(resolve, when - Date.now()))
          .then(() => (window as unknown as PageWindow).client.auth.refresh())
          .then((s: { refresh_token: string }) => s.refresh_token, (e: { code?: string; message: string }) => `failed: ${e.code} ${e.message}`), at)));
        assert.ok(tokens.every((t) => !t.startsWith('failed')), `round ${round}: ${tokens.join(', ')}`);
        assert.equal(new Set(tokens).size, 1, `round ${round}: every tab holds the same session`);
        // one rotation a round: a new token every round. (Usually one request too, but a tab whose claim arrives
        // late on a loaded machine may send a second with the same token, which the API answers with the first's.)
        assert.ok(!seen.has(tokens[0]!), `round ${round}: a new session`);
        seen.add(tokens[0]!);
        const emails = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as unknown as PageWindow).client.auth.getUser().then((u: { email: string }) => u.email, (e: { code: string }) => e.code))));
        assert.deepEqual(emails, [user.email, user.email, user.email], `round ${round}: signed in in every tab`);
      }
      // dispose() in one tab ends its channel: the other two still coordinate and stay signed in
      await tabs[2]!.evaluate(() => (window as unknown as PageWindow).client.dispose());
      const last = await Promise.all(tabs.slice(0, 2).map((tab) => tab.evaluate(() => (window as unknown as PageWindow).client.auth.refresh().then((s: { refresh_token: string }) => s.refresh_token))));
      assert.equal(new Set(last).size, 1);
    } finally {
      await context.close();
    }
  });
});
