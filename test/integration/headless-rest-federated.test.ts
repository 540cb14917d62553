// Social sign-in through the REST auth API (issue #16 §3) over HTTP, against a second oidc-provider playing Google:
// the app sends the browser to GET /v1/auth/authorize?provider=google&redirect_to=…; Google's answer comes back
// through the tenant's one callback (bound to the browser that started, as on the hosted page) and the browser lands
// on the app's registered page with a one-time token, which the app exchanges at POST /v1/auth/federated/verify for
// tokens. Single use, only for the app that started, and the linking rules of the hosted page; every documented error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser, isPage } from '../support/browser.js';
import { cliJson, createUser } from '../support/fixtures.js';
import { createFederatedTenant, type FederatedTenant } from '../support/federation-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { useTessera } from '../support/use-tessera.js';
import { expectError, ok } from '../support/json-answers.js';

interface Tokens { access_token: string; refresh_token: string; user?: { id: string; email: string | null; created: boolean } }

const appPage = 'https://app.example.com/auth/callback';
const unique = () => randomBytes(4).toString('hex');

describe('REST auth API social sign-in', () => {
  const server = useTessera();
  let google: OidcUpstream;
  let tenant: FederatedTenant;

  const call = (path: string, body: unknown, base = tenant.issuer) =>
    fetch(`${base}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const authorize = (params: Record<string, string>, base = tenant.issuer) => `${base}/v1/auth/authorize?${new URLSearchParams(params)}`;


  async function restTenant(signIn: Record<string, unknown> = { signUp: true }): Promise<FederatedTenant> {
    const made = await createFederatedTenant(server, (callbackUrl) => {
      const app = google.registerClient({ redirectUris: [callbackUrl] });
      return { google: { type: 'google', clientId: app.clientId, clientSecret: app.clientSecret, issuer: google.issuer } };
    }, signIn);
    await cliJson(server, ['tenant', 'settings', '--tenant', made.slug, '--set', JSON.stringify({ headless: { restApi: true, redirectUris: [appPage] } })]);
    return made;
  }

  /** the browser goes to /v1/auth/authorize, through Google, and lands on the app's page: the token it brings */
  async function landOnApp(params: Record<string, string>, browser = new Browser(), page = appPage, base = tenant.issuer): Promise<string> {
    const landed = await browser.navigate(authorize({ provider: 'google', redirect_to: page, ...params }, base), (location) => location.href.startsWith(page));
    if (isPage(landed)) assert.fail(`the browser stopped at a page: ${landed.status} ${landed.html.slice(0, 300)}`);
    assert.equal(landed.searchParams.get('type'), 'federated');
    const token = landed.searchParams.get('token');
    assert.match(token ?? '', /^[\w-]{43}$/);
    return token!;
  }

  before(async () => {
    google = await startOidcUpstream('google');
    tenant = await restTenant();
  });
  after(() => google?.close());
  afterEach(() => assert.deepEqual(google.rejections.splice(0), [], 'the Google stand-in refused a request'));

  it('a new user: through Google and back to the app\'s page, whose token gets tokens once; the same account signs in again', async () => {
    const sub = `g-${unique()}`;
    const email = `ann-${unique()}@gmail.test`;
    google.signInAs({ sub, email, email_verified: true, name: 'Ann' });
    const token = await landOnApp({});
    // Google was asked with PKCE, state and nonce, at the tenant's one callback
    const asked = google.authorizations.at(-1)!;
    assert.equal(asked.code_challenge_method, 'S256');
    assert.equal(asked.redirect_uri, tenant.callbackUrl);
    const tokens = await ok<Tokens>(await call('auth/federated/verify', { token }));
    const userId = decodeJwt(tokens.access_token).sub;
    assert.deepEqual(tokens.user, { id: userId, email, phone: null, created: true });
    const who = await ok<{ amr: string[] }>(await fetch(`${tenant.issuer}/v1/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
    assert.deepEqual(who.amr, ['fed']);
    await expectError(await call('auth/federated/verify', { token }), 400, 'federated.invalid');

    google.signInAs({ sub, email, email_verified: true });
    const again = await ok<Tokens>(await call('auth/federated/verify', { token: await landOnApp({}) }));
    assert.equal(decodeJwt(again.access_token).sub, userId);
    assert.equal(again.user?.created, false);
  });

  it('the upstream\'s answer completes only in the browser that started: another browser gets a notice and no token', async () => {
    google.signInAs({ sub: `g-${unique()}`, email: `csrf-${unique()}@gmail.test`, email_verified: true });
    const started = new Browser();
    const atCallback = await started.navigate(authorize({ provider: 'google', redirect_to: appPage }), (location) => location.pathname.endsWith('/federated/callback'));
    if (isPage(atCallback)) assert.fail('the browser was not sent to the callback');
    const elsewhere = await new Browser().navigate(atCallback, (location) => location.href.startsWith(appPage));
    if (!isPage(elsewhere)) assert.fail('no redirect to the app');
    assert.equal(elsewhere.status, 400);
  });

  it('a token works only for the app that started; a named app names itself by client_id and verifies with its secret', async () => {
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', tenant.slug, '--name', 'Portal', '--slug', `portal-${unique()}`]);
    const portal = 'https://portal.example.com/signed-in';
    await cliJson(server, ['client', 'update', '--tenant', tenant.slug, '--id', app.app_id, '--redirect-uri', portal]);
    google.signInAs({ sub: `g-${unique()}`, email: `portal-${unique()}@gmail.test`, email_verified: true });
    const token = await landOnApp({ client_id: app.app_id }, new Browser(), portal);
    // the built-in client may not use it, and does not spend it
    await expectError(await call('auth/federated/verify', { token }), 400, 'federated.invalid');
    const tokens = await ok<Tokens>(await call('auth/federated/verify', { token, client_id: app.app_id, client_secret: app.app_secret }));
    assert.equal(decodeJwt(tokens.access_token).client_id, app.app_id);
    // the app's page is registered for it, not for the built-in client (and the other way round)
    const refused = await fetch(authorize({ provider: 'google', redirect_to: portal }), { redirect: 'manual' });
    await expectError(refused, 400, 'rest.redirect_not_allowed');
    await expectError(await fetch(authorize({ provider: 'google', redirect_to: appPage, client_id: app.app_id }), { redirect: 'manual' }), 400, 'rest.redirect_not_allowed');
  });

  it('keeps the hosted page\'s linking rules: an existing account must link first; closed sign-up and bad input are refused', async () => {
    const user = await createUser(server, tenant.slug);
    google.signInAs({ sub: `g-${unique()}`, email: user.email, email_verified: true });
    await expectError(await call('auth/federated/verify', { token: await landOnApp({}) }), 409, 'federated.link_required');

    const closed = await restTenant({ signUp: false });
    google.signInAs({ sub: `g-${unique()}`, email: `closed-${unique()}@gmail.test`, email_verified: true });
    const token = await landOnApp({}, new Browser(), appPage, closed.issuer);
    await expectError(await call('auth/federated/verify', { token }, closed.issuer), 403, 'signup.disabled');

    const get = (params: Record<string, string>) => fetch(authorize(params), { redirect: 'manual' });
    await expectError(await get({ provider: 'gitlab', redirect_to: appPage }), 400, 'federated.unknown_provider');
    await expectError(await get({ provider: 'google', redirect_to: `${appPage}/` }), 400, 'rest.redirect_not_allowed');
    await expectError(await get({ redirect_to: appPage }), 400, 'request.invalid');
    await expectError(await get({ provider: 'google', redirect_to: appPage, client_id: 'nobody' }), 401, 'app.invalid_credentials');
    await expectError(await call('auth/federated/verify', { token: 'short' }), 400, 'request.invalid');
    await expectError(await call('auth/federated/verify', { token: 'x'.repeat(43) }), 400, 'federated.invalid');
  });

  it('a disabled account is refused after the upstream signs it in; an unreachable upstream is 502 before any redirect', async () => {
    const sub = `g-${unique()}`;
    const email = `off-${unique()}@gmail.test`;
    google.signInAs({ sub, email, email_verified: true });
    const first = await ok<Tokens>(await call('auth/federated/verify', { token: await landOnApp({}) }));
    await cliJson(server, ['user', 'disable', '--tenant', tenant.slug, '--id', first.user!.id]);
    google.signInAs({ sub, email, email_verified: true });
    await expectError(await call('auth/federated/verify', { token: await landOnApp({}) }), 403, 'federated.not_allowed');

    const down = await createFederatedTenant(server, () => ({ sso: { type: 'oidc', displayName: 'Acme SSO', clientId: 'x', clientSecret: 'y', issuer: 'http://127.0.0.1:9', timeoutMs: 800 } }));
    await cliJson(server, ['tenant', 'settings', '--tenant', down.slug, '--set', JSON.stringify({ headless: { restApi: true, redirectUris: [appPage] } })]);
    await expectError(await fetch(authorize({ provider: 'sso', redirect_to: appPage }, down.issuer), { redirect: 'manual' }), 502, 'federated.upstream_failed');
  });
});
