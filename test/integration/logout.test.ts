// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the relying party sends the user to
// end_session; our branded page asks whether to end the Tessera session too; either way the user lands back at
// the registered post_logout_redirect_uri with the state, and only "sign out" ends the session.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser, postLogoutRedirectUri, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, codeFlow, discover, oidc } from '../support/relying-party.js';
import { Browser, formsOf, isPage, type Page } from '../support/browser.js';

const confirmPath = '/session/end/confirm';

describe('RP-initiated logout', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  /** a signed-in browser and the id_token its sign-in produced */
  async function signedIn() {
    const { tokens, browser } = await codeFlow(config, redirectUri, user);
    return { browser, idToken: tokens.id_token! };
  }

  /** what a silent re-authentication (prompt=none) in this browser answers */
  async function silentAuth(browser: Browser): Promise<URLSearchParams> {
    const request = await authorizationRequest(config, redirectUri, { prompt: 'none' });
    const location = await browser.navigate(request.url, (l) => l.href.startsWith(redirectUri));
    assert.ok(!isPage(location), 'prompt=none never shows a page');
    assert.equal(location.searchParams.get('state'), request.state);
    return location.searchParams;
  }

  async function logoutPage(browser: Browser, params: Record<string, string>): Promise<Page> {
    const page = await browser.navigate(oidc.buildEndSessionUrl(config, params));
    assert.ok(isPage(page), 'end_session shows the confirmation page');
    return page;
  }

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    // first-party: prompt=none then depends on the session alone, not on a consent
    const client = await createClient(server, tenant.slug, ['--first-party']);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });

  it('a signed-in browser re-authenticates silently (the baseline the other tests change)', async () => {
    const { browser } = await signedIn();
    const params = await silentAuth(browser);
    assert.equal(params.get('error'), null);
    assert.ok(params.get('code'));
  });

  it('shows a branded confirmation page, framed by nobody and with a strict CSP', async () => {
    const { browser, idToken } = await signedIn();
    const page = await logoutPage(browser, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'st' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.html, new RegExp(`Tenant ${tenant.slug}`), 'the tenant name');
    assert.match(page.html, /Test App/, 'the client name');
    assert.match(page.html, /<h1>Sign out\?<\/h1>/);
    const form = formsOf(page.html).find((f) => f.action.endsWith(confirmPath));
    assert.ok(form, 'the confirmation form');
    assert.ok(form.fields.xsrf, 'the form carries an anti-CSRF token');
  });

  it('"sign out" ends the session and returns to the post_logout_redirect_uri with the state', async () => {
    const { browser, idToken } = await signedIn();
    const page = await logoutPage(browser, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye-123' });
    const back = await browser.submit(page, confirmPath, { logout: 'yes' }, (l) => l.href.startsWith(postLogoutRedirectUri));
    assert.ok(!isPage(back), 'redirected to the relying party');
    assert.equal(`${back.origin}${back.pathname}`, postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), 'bye-123');

    const params = await silentAuth(browser);
    assert.equal(params.get('error'), 'login_required');
    assert.equal(params.get('code'), null);
  });

  it('"stay signed in" returns to the relying party and keeps the session', async () => {
    const { browser, idToken } = await signedIn();
    const page = await logoutPage(browser, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'stay-1' });
    const back = await browser.submit(page, confirmPath, {}, (l) => l.href.startsWith(postLogoutRedirectUri));
    assert.ok(!isPage(back));
    assert.equal(`${back.origin}${back.pathname}`, postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), 'stay-1');

    const params = await silentAuth(browser);
    assert.equal(params.get('error'), null);
    assert.ok(params.get('code'), 'still signed in');
  });

  it('without a post_logout_redirect_uri ends on our branded "signed out" page', async () => {
    const { browser, idToken } = await signedIn();
    const page = await logoutPage(browser, { id_token_hint: idToken });
    const done = await browser.submit(page, confirmPath, { logout: 'yes' });
    assert.ok(isPage(done));
    assert.equal(done.status, 200);
    assert.match(done.html, /You have signed out/);
    assert.match(done.html, new RegExp(`Tenant ${tenant.slug}`));
    assert.equal(done.headers.get('x-frame-options'), 'DENY');
    assert.equal((await silentAuth(browser)).get('error'), 'login_required');
  });

  it('refuses a confirmation with a forged anti-CSRF token and keeps the session', async () => {
    const { browser, idToken } = await signedIn();
    const page = await logoutPage(browser, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri });
    const forged = await browser.submit(page, confirmPath, { logout: 'yes', xsrf: 'forged' }, (l) => l.href.startsWith(postLogoutRedirectUri));
    assert.ok(isPage(forged), 'no redirect for a forged confirmation');
    assert.equal(forged.status, 400);
    assert.match(forged.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok((await silentAuth(browser)).get('code'), 'still signed in');
  });

  it('refuses an unregistered post_logout_redirect_uri with an error page, never redirecting there', async () => {
    const { browser, idToken } = await signedIn();
    const page = await browser.navigate(oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: 'https://attacker.example/bye' }), (l) => l.host === 'attacker.example');
    assert.ok(isPage(page), 'no redirect to an unregistered URI');
    assert.equal(page.status, 400);
    assert.match(page.html, /to an address it has not registered/, 'a friendly text, not the library\'s');
    assert.match(page.html, /Error code: <code class="ref">invalid_request<\/code>/);
  });

  it('refuses a forged id_token_hint with an error page', async () => {
    const { browser, idToken } = await signedIn();
    const [header, payload] = idToken.split('.');
    const page = await browser.navigate(oidc.buildEndSessionUrl(config, { id_token_hint: `${header}.${payload}.AAAA`, post_logout_redirect_uri: postLogoutRedirectUri }), (l) => l.href.startsWith(postLogoutRedirectUri));
    assert.ok(isPage(page));
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });
});
