// The account page (issue #4): a user signs in to it like to any app, links an upstream account (a round trip
// through the upstream for the signed-in user), sees it, signs in with it, unlinks it. The last way in cannot be
// removed, an upstream account linked to someone else is explained rather than moved, and forms need CSRF.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { asPage, isLoginPage, visibleText } from '../support/hosted-pages.js';
import { auditOf, continueWith, createFederatedTenant, federatedSignIn, identitiesOf, signedIn, type FederatedTenant } from '../support/federation-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { useTessera } from '../support/use-tessera.js';

const unique = () => randomBytes(4).toString('hex');

describe('account page: linked accounts', () => {
  const server = useTessera();
  let google: OidcUpstream;
  before(async () => {
    google = await startOidcUpstream('google');
  });
  after(() => google?.close());
  afterEach(() => assert.deepEqual(google.rejections.splice(0), []));

  const tenantWith = (signIn: Record<string, unknown> = { signUp: true }) => createFederatedTenant(server, (callbackUrl) => {
    const app = google.registerClient({ redirectUris: [callbackUrl] });
    return { google: { type: 'google', clientId: app.clientId, clientSecret: app.clientSecret, issuer: google.issuer } };
  }, signIn);

  const accountUrl = (tenant: FederatedTenant) => `${server.url}/t/${tenant.slug}/account`;

  /** opens the account page signed out, follows "Sign in" and signs in with `signInOn` on the login page */
  async function signInToAccount(tenant: FederatedTenant, browser: Browser, signInOn: (login: Page) => Promise<Page | URL>): Promise<Page> {
    const out = asPage(await browser.navigate(accountUrl(tenant)), 'the signed-out account page');
    assert.match(visibleText(out.html), /Sign in to see and change the ways you sign in\./);
    const login = asPage(await browser.navigate(new URL(/href="([^"]+\/account\/sign-in)"/.exec(out.html)![1]!, out.url)), 'the login page');
    assert.ok(isLoginPage(login) || login.html.includes('/federated/'), login.html.slice(0, 400));
    const page = asPage(await signInOn(login), 'the account page');
    assert.equal(page.url.pathname, `/t/${tenant.slug}/account`);
    return page;
  }

  it('links Google for the signed-in user, who can then sign in with it, and unlinks it again', async () => {
    const tenant = await tenantWith();
    const user = await createUser(server, tenant.slug);
    const browser = new Browser();
    const account = await signInToAccount(tenant, browser, (login) => browser.submit(login, '/login', { email: user.email, password: user.password }));
    assert.match(visibleText(account.html), new RegExp(`Signed in as ${user.email.replace('.', '\\.')}`));
    assert.match(visibleText(account.html), /No other account is linked to this one\./);

    const sub = `g-${unique()}`;
    google.signInAs({ sub, email: `other-${unique()}@gmail.test`, email_verified: true });
    const linked = asPage(await browser.submit(account, '/link/google', {}), 'the account page');
    assert.match(visibleText(linked.html), /Google is now a way into your account\./);
    assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.user_id, i.subject]), [[user.id, sub]]);
    assert.deepEqual((await auditOf(server, tenant.slug, ['identity.linked'])).map((e) => [e.subject, e.data.how]), [[user.id, 'account_page']]);

    google.signInAs({ sub, email: `other-${unique()}@gmail.test`, email_verified: true });
    const viaGoogle = await federatedSignIn(tenant, 'google');
    assert.equal((await signedIn(tenant, viaGoogle.request, viaGoogle.step)).claims.sub, user.id);

    const unlinked = asPage(await browser.submit(linked, '/unlink/google', {}), 'the account page');
    assert.match(visibleText(unlinked.html), /Google was removed from your account\./);
    assert.deepEqual(await identitiesOf(server, tenant.slug), []);
    assert.equal((await auditOf(server, tenant.slug, ['identity.unlinked'])).length, 1);
  });

  it('an upstream account already linked to another user is not moved: the page says so', async () => {
    const tenant = await tenantWith();
    const sub = `g-${unique()}`;
    google.signInAs({ sub, email: `owner-${unique()}@gmail.test`, email_verified: true });
    const owner = await federatedSignIn(tenant, 'google');
    const ownerSub = (await signedIn(tenant, owner.request, owner.step)).claims.sub;

    const user = await createUser(server, tenant.slug);
    const browser = new Browser();
    const account = await signInToAccount(tenant, browser, (login) => browser.submit(login, '/login', { email: user.email, password: user.password }));
    google.signInAs({ sub, email: `owner-${unique()}@gmail.test`, email_verified: true });
    const refused = asPage(await browser.submit(account, '/link/google', {}), 'the account page');
    assert.match(visibleText(refused.html), /That Google account is already linked to another user, so it was not added\./);
    assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => i.user_id), [ownerSub]);
  });

  it('the last way in cannot be removed, even by a forged form', async () => {
    // no password, email code or phone: Google is this user's only way in (a second connection, not linked,
    // gives the page a form, hence the CSRF token a forger in this browser could read)
    const tenant = await createFederatedTenant(server, (callbackUrl) => {
      const app = google.registerClient({ redirectUris: [callbackUrl] });
      const google2 = { type: 'google', clientId: app.clientId, clientSecret: app.clientSecret, issuer: google.issuer };
      return { google: google2, work: { ...google2, displayName: 'Work account' } };
    }, { signUp: true, methods: { password: false } });
    const browser = new Browser();
    google.signInAs({ sub: `g-${unique()}`, email: `only-${unique()}@gmail.test`, email_verified: true });
    const account = await signInToAccount(tenant, browser, async (login) => {
      const step = await continueWith(browser, login, 'google');
      return isPage(step) ? step : browser.navigate(step);
    });
    assert.match(visibleText(account.html), /Your only way to sign in: add another before removing it\./);
    assert.ok(!account.html.includes('/unlink/google'));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(account.html)?.[1] ?? '';
    const forged = asPage(await browser.navigate(`${accountUrl(tenant)}/unlink/google`, () => false, {
      method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    }), 'the account page');
    assert.match(visibleText(forged.html), /Google is your only way to sign in, so it cannot be removed\./);
    assert.equal((await identitiesOf(server, tenant.slug)).length, 1);
  });

  it('refuses a form without its CSRF token, and anything but the page itself to a signed-out browser', async () => {
    const tenant = await tenantWith();
    const user = await createUser(server, tenant.slug);
    const browser = new Browser();
    await signInToAccount(tenant, browser, (login) => browser.submit(login, '/login', { email: user.email, password: user.password }));
    const post = (b: Browser, path: string, fields: Record<string, string>) => b.navigate(`${accountUrl(tenant)}${path}`, () => false, {
      method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    });
    assert.equal(asPage(await post(browser, '/link/google', { _csrf: 'forged' }), 'refusal').status, 403);
    const stranger = asPage(await post(new Browser(), '/unlink/google', {}), 'the signed-out page');
    assert.equal(stranger.status, 401);
    assert.match(visibleText(stranger.html), /Sign in to see and change the ways you sign in\./);
  });
});
