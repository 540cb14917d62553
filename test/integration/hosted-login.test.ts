// The hosted login page as a browser meets it: what it shows, the headers that protect it, wrong and missing
// credentials, CSRF, rate limits and expired interactions. Consent and prompt / max_age: hosted-consent-prompts.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createUser } from '../support/fixtures.js';
import { Browser, formsOf } from '../support/browser.js';
import { asCallback, asPage, atCallback, createRealm, isConsentPage, isLoginPage, loginPage, open, visibleText, type Realm } from '../support/hosted-pages.js';

describe('hosted login pages', () => {
  const server = useTessera();
  let realm: Realm;

  before(async () => {
    realm = await createRealm(server);
  });

  describe('the login page', () => {
    it('labels its fields, carries a CSRF token and names the tenant and the client', async () => {
      const { page } = await loginPage(new Browser(), realm.firstParty);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.html, /<html lang="en">/);
      assert.match(page.html, /<label for="email">Email<\/label>\s*<input id="email" name="email" type="email"/);
      assert.match(page.html, /<label for="password">Password<\/label>\s*<input id="password" name="password" type="password"/);
      const login = formsOf(page.html).find((f) => f.action.endsWith('/login'))!;
      assert.match(login.fields._csrf ?? '', /^[\w-]{43}$/, 'hidden _csrf field with an HMAC');
      assert.match(page.html, /<input type="hidden" name="_csrf" value="[\w-]{43}">/);
      assert.ok(page.html.includes(realm.name), 'the tenant name is shown');
      assert.ok(page.html.includes('Test App'), 'the client name is shown');
      assert.doesNotMatch(page.html, /<script/i);
    });

    it('is served with a no-script CSP, no framing and no caching', async () => {
      const { page } = await loginPage(new Browser(), realm.firstParty);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /(^|;\s*)default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /(^|;\s*)script-src 'none'(;|$)/, 'no script may run');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.match(page.headers.get('cache-control') ?? '', /no-store/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    });

    it('pre-fills the email from login_hint, escaped', async () => {
      const { page } = await loginPage(new Browser(), realm.firstParty, { login_hint: 'ada@example.com' });
      assert.match(page.html, /<input id="email" name="email" type="email" value="ada@example.com"/);
      const hostile = await loginPage(new Browser(), realm.firstParty, { login_hint: '"><b>x</b>' });
      assert.ok(hostile.page.html.includes('value="&#34;&gt;&lt;b&gt;x&lt;/b&gt;"') || hostile.page.html.includes('value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"'), 'login_hint is HTML-escaped');
      assert.ok(!hostile.page.html.includes('<b>x</b>'));
    });

    it('renders in French when ui_locales asks for French (test/integration/translated-pages.test.ts: every language)', async () => {
      const { page } = await loginPage(new Browser(), realm.firstParty, { ui_locales: 'fr' });
      assert.match(page.html, /<html lang="fr">/);
      assert.doesNotMatch(page.html, /role="alert"/);
    });
  });

  describe('credentials', () => {
    it('answers a wrong password and an unknown email with the same page and status', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, realm.firstParty);
      const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
      const wrongPassword = asPage(await browser.submit(page, '/login', { email: realm.user.email, password: 'Wrong-password-123' }, atCallback), 'login');
      const unknownEmail = asPage(await browser.submit(page, '/login', { email: unknown, password: 'Wrong-password-123' }, atCallback), 'login');
      assert.equal(wrongPassword.status, 401);
      assert.equal(unknownEmail.status, wrongPassword.status);
      assert.match(wrongPassword.html, /role="alert">The email or password is incorrect\.</);
      assert.equal(unknownEmail.html.replaceAll(unknown, 'EMAIL'), wrongPassword.html.replaceAll(realm.user.email, 'EMAIL'));
      assert.ok(isLoginPage(unknownEmail), 'the form is shown again');
    });

    it('asks for both fields when one is empty', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, realm.firstParty);
      for (const values of [{ email: '', password: '' }, { email: realm.user.email, password: '' }, { email: '   ', password: 'something-long' }]) {
        const again = asPage(await browser.submit(page, '/login', values, atCallback), 'login');
        assert.equal(again.status, 400);
        assert.match(visibleText(again.html), /Enter your email and password\./);
        assert.ok(isLoginPage(again));
      }
      // the interaction survives the mistakes
      const callback = asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
      assert.ok(callback.searchParams.get('code'));
    });

    it('Cancel sends access_denied to the client', async () => {
      const browser = new Browser();
      const { request, page } = await loginPage(browser, realm.firstParty);
      const callback = asCallback(await browser.submit(page, '/abort', {}, atCallback), 'the error');
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), request.state);
      assert.equal(callback.searchParams.get('iss'), realm.issuer);
      assert.equal(callback.searchParams.get('code'), null);
    });
  });

  describe('CSRF', () => {
    it('refuses a login post without a token, with a wrong one or from another origin, and signs nobody in', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, realm.firstParty);
      const form = formsOf(page.html).find((f) => f.action.endsWith('/login'))!;
      const action = new URL(form.action, page.url);
      const credentials = { email: realm.user.email, password: realm.user.password };
      const attempts: { name: string; body: Record<string, string>; origin: string }[] = [
        { name: 'no _csrf', body: credentials, origin: page.url.origin },
        { name: 'wrong _csrf', body: { ...credentials, _csrf: randomBytes(32).toString('base64url') }, origin: page.url.origin },
        { name: 'empty _csrf', body: { ...credentials, _csrf: '' }, origin: page.url.origin },
        { name: 'cross-origin', body: { ...credentials, _csrf: form.fields._csrf! }, origin: 'https://evil.example' },
      ];
      for (const attempt of attempts) {
        const response = await browser.fetch(action, {
          method: 'POST', body: new URLSearchParams(attempt.body), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: attempt.origin },
        });
        const html = await response.text();
        assert.equal(response.status, 403, attempt.name);
        assert.equal(response.headers.get('location'), null, attempt.name);
        assert.match(html, /not sent from this site/, attempt.name);
        assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      }
      // nobody was signed in: a silent request has no session to use
      const silent = asCallback((await open(browser, realm.firstParty, { prompt: 'none' })).step, 'the prompt=none error');
      assert.equal(silent.searchParams.get('error'), 'login_required');
    });

    it('refuses Cancel and consent posts without the token', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, realm.firstParty);
      const abort = new URL(formsOf(page.html).find((f) => f.action.endsWith('/abort'))!.action, page.url);
      const response = await browser.fetch(abort, { method: 'POST', body: new URLSearchParams(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(response.status, 403);
      await response.body?.cancel();
      // the login page still works: the refused post changed nothing
      const callback = asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
      assert.ok(callback.searchParams.get('code'));

      const consent = asPage((await open(browser, realm.thirdParty)).step, 'consent');
      assert.ok(isConsentPage(consent));
      const confirm = new URL(formsOf(consent.html).find((f) => f.action.endsWith('/confirm'))!.action, consent.url);
      const refused = await browser.fetch(confirm, { method: 'POST', body: new URLSearchParams({ _csrf: 'x' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('location'), null);
      await refused.body?.cancel();
    });
  });

  describe('rate limits', () => {
    // each test counts failures in a tenant of its own (the IP bucket is per tenant, and every test's IP is 127.0.0.1)
    const realms: Realm[] = [];
    before(async () => {
      realms.push(...(await Promise.all([createRealm(server), createRealm(server), createRealm(server)])));
    });

    it('locks an email after 10 failures, even against the right password, and leaves other emails alone', async () => {
      const own = realms[0]!;
      const other = await createUser(server, own.slug);
      const browser = new Browser();
      const { page } = await loginPage(browser, own.firstParty);
      for (let i = 1; i <= 10; i++) {
        const failed = asPage(await browser.submit(page, '/login', { email: own.user.email, password: `Wrong-password-${i}` }, atCallback), 'login');
        assert.equal(failed.status, 401, `attempt ${i}`);
      }
      const locked = asPage(await browser.submit(page, '/login', { email: own.user.email.toUpperCase(), password: own.user.password }, atCallback), 'login');
      assert.equal(locked.status, 429);
      const retryAfter = Number(locked.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900, `Retry-After ${locked.headers.get('retry-after')}`);
      assert.match(visibleText(locked.html), /Too many attempts/);

      const fresh = asCallback(await browser.submit(page, '/login', { email: other.email, password: other.password }, atCallback), 'a code for another email');
      assert.ok(fresh.searchParams.get('code'));
    });

    it('locks an unregistered email the same way (no enumeration through the limit)', async () => {
      const own = realms[1]!;
      const browser = new Browser();
      const { page } = await loginPage(browser, own.firstParty);
      const unknown = `ghost-${randomBytes(4).toString('hex')}@example.com`;
      for (let i = 1; i <= 10; i++) {
        assert.equal(asPage(await browser.submit(page, '/login', { email: unknown, password: `Wrong-password-${i}` }, atCallback), 'login').status, 401);
      }
      const locked = asPage(await browser.submit(page, '/login', { email: unknown, password: 'Wrong-password-x' }, atCallback), 'login');
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    });

    it('locks an IP after 100 failures across emails', async () => {
      const own = realms[2]!;
      const browser = new Browser();
      const { page } = await loginPage(browser, own.firstParty);
      for (let i = 1; i <= 100; i++) {
        const failed = asPage(await browser.submit(page, '/login', { email: `spray-${i}@example.com`, password: 'Spray-password-1' }, atCallback), 'login');
        assert.equal(failed.status, 401, `attempt ${i}`);
      }
      const locked = asPage(await browser.submit(page, '/login', { email: own.user.email, password: own.user.password }, atCallback), 'login');
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    });
  });

  describe('expired and foreign interactions', () => {
    it('shows the expired page for an unknown interaction, on every route, never a 500', async () => {
      const uid = randomBytes(16).toString('base64url');
      const base = `${realm.issuer}/interaction/${uid}`;
      const browser = new Browser();
      const get = await browser.navigate(base);
      const page = asPage(get, 'expired');
      assert.equal(page.status, 400);
      assert.match(page.html, /This sign-in has expired/);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      for (const step of ['login', 'confirm', 'abort']) {
        const response = await browser.fetch(`${base}/${step}`, { method: 'POST', body: new URLSearchParams({ _csrf: 'x', email: 'a@b.c', password: 'p' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        assert.equal(response.status, 400, step);
        assert.match(await response.text(), /This sign-in has expired/, step);
      }
    });

    it('shows the expired page to a second browser opening the first one\'s interaction', async () => {
      const first = new Browser();
      const { page } = await loginPage(first, realm.firstParty);
      const second = new Browser();
      const stolen = asPage(await second.navigate(page.url), 'expired');
      assert.equal(stolen.status, 400);
      assert.match(stolen.html, /This sign-in has expired/);
      assert.ok(!isLoginPage(stolen));
      const post = await second.fetch(new URL(`${page.url.pathname}/login`, page.url), {
        method: 'POST', body: new URLSearchParams({ _csrf: formsOf(page.html)[0]!.fields._csrf!, email: realm.user.email, password: realm.user.password }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(post.status, 400);
      assert.equal(post.headers.get('location'), null);
      await post.body?.cancel();
      // the rightful browser is unaffected
      asCallback(await first.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
    });

    it('shows the expired page when a finished interaction is opened again', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, realm.firstParty);
      asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
      const again = asPage(await browser.navigate(page.url), 'expired');
      assert.equal(again.status, 400);
      assert.match(again.html, /This sign-in has expired/);
    });
  });
});
