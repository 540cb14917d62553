// How prompt, max_age and consent steer the hosted flow (OIDC Core 3.1.2.1): when the login page is shown again
// despite a session, when no page is shown at all, and what the consent page lists and remembers.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { redirectUri } from '../support/fixtures.js';
import { Browser } from '../support/browser.js';
import { codeFlow, oidc, type AuthorizationRequest } from '../support/relying-party.js';
import { asCallback, asPage, atCallback, createRealm, isConsentPage, loginPage, open, visibleText, type Realm } from '../support/hosted-pages.js';

describe('hosted consent and prompts', () => {
  const server = useTessera();
  let realm: Realm;

  async function exchange(config: oidc.Configuration, callback: URL, request: AuthorizationRequest, maxAge?: number) {
    return oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, maxAge, idTokenExpected: true,
    });
  }

  before(async () => {
    realm = await createRealm(server);
  });

  describe('prompt and max_age', () => {
    it('prompt=login asks for the password again despite a session', async () => {
      const browser = new Browser();
      await codeFlow(realm.firstParty, redirectUri, realm.user, { browser });
      const silent = asCallback((await open(browser, realm.firstParty)).step, 'a code from the session');
      assert.ok(silent.searchParams.get('code'));
      const { request, page } = await loginPage(browser, realm.firstParty, { prompt: 'login' });
      const callback = asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
      const tokens = await exchange(realm.firstParty, callback, request);
      assert.equal(tokens.claims()!.sub, realm.user.id);
    });

    it('max_age=1 asks for the password again once the session is older than a second', async () => {
      const browser = new Browser();
      await codeFlow(realm.firstParty, redirectUri, realm.user, { browser });
      await sleep(2000);
      const reloginAfter = Math.floor(Date.now() / 1000);
      const { request, page } = await loginPage(browser, realm.firstParty, { max_age: '1' });
      const callback = asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code');
      const tokens = await exchange(realm.firstParty, callback, request, 30);
      const authTime = tokens.claims()!.auth_time;
      assert.ok(typeof authTime === 'number' && authTime >= reloginAfter, `auth_time ${authTime} is the new sign-in (>= ${reloginAfter})`);
    });

    it('prompt=none without a session returns login_required to the client', async () => {
      const { request, step } = await open(new Browser(), realm.firstParty, { prompt: 'none' });
      const callback = asCallback(step, 'the error');
      assert.equal(callback.searchParams.get('error'), 'login_required');
      assert.equal(callback.searchParams.get('state'), request.state);
    });

    it('prompt=none with a session returns a code without any page', async () => {
      const browser = new Browser();
      await codeFlow(realm.firstParty, redirectUri, realm.user, { browser });
      const { request, step } = await open(browser, realm.firstParty, { prompt: 'none' });
      const callback = asCallback(step, 'a code');
      const tokens = await exchange(realm.firstParty, callback, request);
      assert.equal(tokens.claims()!.sub, realm.user.id);
    });
  });

  describe('consent', () => {
    it('lists the requested scopes for a third-party client, and Allow issues a code remembered next time', async () => {
      const browser = new Browser();
      const { request, page } = await loginPage(browser, realm.thirdParty, { scope: 'openid profile email' });
      const consent = asPage(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'consent');
      assert.equal(consent.status, 200);
      assert.ok(isConsentPage(consent));
      assert.match(consent.html, /Test App<\/h1>|Test App wants to/);
      for (const scope of ['openid', 'profile', 'email']) assert.match(consent.html, new RegExp(`<strong>${scope}</strong>`), scope);
      assert.match(visibleText(consent.html), /See your email address/);
      assert.equal(consent.headers.get('x-frame-options'), 'DENY');
      assert.match(consent.headers.get('cache-control') ?? '', /no-store/);

      const callback = asCallback(await browser.submit(consent, '/confirm', {}, atCallback), 'a code');
      const tokens = await exchange(realm.thirdParty, callback, request);
      assert.equal(tokens.claims()!.sub, realm.user.id);
      assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email']));

      const again = await open(browser, realm.thirdParty, { scope: 'openid profile email' });
      asCallback(again.step, 'a code without asking again');
    });

    it('Deny sends access_denied to the client', async () => {
      const browser = new Browser();
      const { request, page } = await loginPage(browser, realm.thirdParty);
      const consent = asPage(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'consent');
      const callback = asCallback(await browser.submit(consent, '/abort', {}, atCallback), 'the error');
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), request.state);
      assert.equal(callback.searchParams.get('code'), null);
    });

    it('prompt=none for a third-party client without consent returns consent_required', async () => {
      const browser = new Browser();
      await codeFlow(realm.firstParty, redirectUri, realm.user, { browser });
      const callback = asCallback((await open(browser, realm.thirdParty, { prompt: 'none' })).step, 'the error');
      assert.equal(callback.searchParams.get('error'), 'consent_required');
    });

    it('never asks a first-party client for consent', async () => {
      const browser = new Browser();
      const { request, page } = await loginPage(browser, realm.firstParty, { scope: 'openid profile email phone address' });
      const callback = asCallback(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'a code without consent');
      const tokens = await exchange(realm.firstParty, callback, request);
      assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email', 'phone', 'address']));
    });
  });
});
