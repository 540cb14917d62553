// PKCE on the REST auth API's social sign-in (RFC 7636), over HTTP against a second oidc-provider playing Google:
// GET /v1/auth/authorize with an S256 code_challenge binds the one-time token the browser brings back to the app's
// page to the holder of the code_verifier. A missing or wrong verifier is refused and spends nothing; plain is
// refused before the browser leaves for the provider; headless.requirePkce refuses a start without a challenge. The
// SDK's signInWithOAuth sends a challenge by default and exchangeCodeForSession its verifier.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser, isPage } from '../support/browser.js';
import { cliJson } from '../support/fixtures.js';
import { createFederatedTenant, type FederatedTenant } from '../support/federation-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { loginPage } from '../support/hosted-pages.js';
import { useTessera } from '../support/use-tessera.js';
import { createClient, memoryStorage, TesseraError } from '../../src/sdk/index.js';
import { expectError, ok } from '../support/json-answers.js';

interface Tokens { access_token: string; user?: { id: string; email: string | null; created: boolean } }

const appPage = 'https://app.example.com/auth/callback';
const unique = () => randomBytes(4).toString('hex');
const pair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('REST auth API social sign-in with PKCE', () => {
  const server = useTessera();
  let google: OidcUpstream;
  let tenant: FederatedTenant;

  const call = (path: string, body: unknown, base = tenant.issuer) =>
    fetch(`${base}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const authorize = (params: Record<string, string>, base = tenant.issuer) => `${base}/v1/auth/authorize?${new URLSearchParams({ provider: 'google', redirect_to: appPage, ...params })}`;


  async function restTenant(headless: Record<string, unknown> = {}): Promise<FederatedTenant> {
    const made = await createFederatedTenant(server, (callbackUrl) => {
      const app = google.registerClient({ redirectUris: [callbackUrl] });
      return { google: { type: 'google', clientId: app.clientId, clientSecret: app.clientSecret, issuer: google.issuer } };
    }, { signUp: true });
    await cliJson(server, ['tenant', 'settings', '--tenant', made.slug, '--set', JSON.stringify({ headless: { restApi: true, redirectUris: [appPage], ...headless } })]);
    return made;
  }

  /** a browser goes to `url`, through Google, and lands on the app's page: that URL */
  async function land(url: string): Promise<URL> {
    const landed = await new Browser().navigate(url, (location) => location.href.startsWith(appPage));
    if (isPage(landed)) assert.fail(`the browser stopped at a page: ${landed.status} ${landed.html.slice(0, 300)}`);
    assert.equal(landed.searchParams.get('type'), 'federated');
    return landed;
  }

  before(async () => {
    google = await startOidcUpstream('google');
    tenant = await restTenant();
  });
  after(() => google?.close());
  afterEach(() => assert.deepEqual(google.rejections.splice(0), [], 'the Google stand-in refused a request'));

  it('only the right verifier takes the token; a missing or wrong one is refused and leaves it to its holder', async () => {
    const email = `pk-${unique()}@gmail.test`;
    google.signInAs({ sub: `g-${unique()}`, email, email_verified: true });
    const { verifier, challenge } = pair();
    const token = (await land(authorize({ code_challenge: challenge, code_challenge_method: 'S256' }))).searchParams.get('token')!;
    await expectError(await call('auth/federated/verify', { token }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/federated/verify', { token, code_verifier: pair().verifier }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/federated/verify', { token, code_verifier: 7 }), 400, 'pkce.invalid_verifier');
    const tokens = await ok<Tokens>(await call('auth/federated/verify', { token, code_verifier: verifier }));
    assert.equal(tokens.user?.email, email);
    assert.equal(tokens.user?.created, true);
    await expectError(await call('auth/federated/verify', { token, code_verifier: verifier }), 400, 'federated.invalid');

    // without a challenge the token works as before, but not with a verifier (no downgrade)
    google.signInAs({ sub: `g-${unique()}`, email: `plain-${unique()}@gmail.test`, email_verified: true });
    const plain = (await land(authorize({}))).searchParams.get('token')!;
    await expectError(await call('auth/federated/verify', { token: plain, code_verifier: verifier }), 400, 'pkce.invalid_verifier');
    await ok<Tokens>(await call('auth/federated/verify', { auth_code: plain }));
  });

  it('a leaked token cannot be burnt at the hosted pages either: their result route leaves another sign-in\'s token unused', async () => {
    google.signInAs({ sub: `g-${unique()}`, email: `burn-${unique()}@gmail.test`, email_verified: true });
    const { verifier, challenge } = pair();
    const token = (await land(authorize({ code_challenge: challenge, code_challenge_method: 'S256' }))).searchParams.get('token')!;
    // the attacker's own hosted sign-in, and the token brought to its result route
    const attacker = new Browser();
    const { page } = await loginPage(attacker, tenant.config);
    const uid = /\/interaction\/([^/]+)/.exec(page.url.pathname)![1];
    const tried = await attacker.navigate(`${tenant.issuer}/interaction/${uid}/federated/result/${token}`);
    assert.ok(isPage(tried) && tried.status >= 400, 'the hosted route signs nobody in with it');
    await ok<Tokens>(await call('auth/federated/verify', { token, code_verifier: verifier }));
  });

  it('refuses plain and malformed challenges before the browser leaves; headless.requirePkce refuses a start without one', async () => {
    const { verifier, challenge } = pair();
    const asked = google.authorizations.length;
    const get = (params: Record<string, string>, base?: string) => fetch(authorize(params, base), { redirect: 'manual' });
    await expectError(await get({ code_challenge: verifier, code_challenge_method: 'plain' }), 400, 'pkce.method_not_supported');
    await expectError(await get({ code_challenge: challenge }), 400, 'pkce.method_not_supported');
    await expectError(await get({ code_challenge: 'x'.repeat(42), code_challenge_method: 'S256' }), 400, 'pkce.invalid_challenge');
    await expectError(await get({ code_challenge_method: 'S256' }), 400, 'pkce.invalid_challenge');

    const strict = await restTenant({ requirePkce: true });
    await expectError(await get({}, strict.issuer), 400, 'pkce.required');
    assert.equal(google.authorizations.length, asked, 'no refused start reached the provider');
    google.signInAs({ sub: `g-${unique()}`, email: `strict-${unique()}@gmail.test`, email_verified: true });
    const token = (await land(authorize({ code_challenge: challenge, code_challenge_method: 'S256' }, strict.issuer))).searchParams.get('token')!;
    await expectError(await call('auth/federated/verify', { token }, strict.issuer), 400, 'pkce.invalid_verifier');
    const tokens = await ok<Tokens>(await call('auth/federated/verify', { token, code_verifier: verifier }, strict.issuer));
    assert.ok(decodeJwt(tokens.access_token).sub);
  });

  it('the SDK: signInWithOAuth starts with a challenge, and exchangeCodeForSession on the page it returns to signs in that client only', async () => {
    const email = `sdk-${unique()}@gmail.test`;
    google.signInAs({ sub: `g-${unique()}`, email, email_verified: true });
    const sdk = createClient({ issuer: tenant.issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    const elsewhere = createClient({ issuer: tenant.issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    const implicit = createClient({ issuer: tenant.issuer, clientId: 'tessera-rest', storage: memoryStorage(), flowType: 'implicit' });
    try {
      const { url, provider } = await sdk.auth.signInWithOAuth({ provider: 'google', options: { redirectTo: appPage, skipBrowserRedirect: true } });
      assert.equal(provider, 'google');
      const started = new URL(url);
      assert.equal(`${started.origin}${started.pathname}`, `${tenant.issuer}/v1/auth/authorize`);
      assert.equal(started.searchParams.get('code_challenge_method'), 'S256');
      assert.match(started.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
      const landed = await land(url);
      const stolen = await elsewhere.auth.exchangeCodeForSession(landed.href).catch((error: unknown) => error);
      assert.ok(stolen instanceof TesseraError);
      assert.equal(stolen.code, 'pkce.invalid_verifier');
      const result = await sdk.auth.exchangeCodeForSession(landed.search);
      assert.equal(result.status, 'signed_in');
      assert.equal(result.status === 'signed_in' && result.user?.email, email);

      const plain = new URL((await implicit.auth.signInWithOAuth({ provider: 'google', options: { redirectTo: appPage, skipBrowserRedirect: true } })).url);
      assert.equal(plain.searchParams.get('code_challenge'), null);
    } finally {
      sdk.dispose();
      elsewhere.dispose();
      implicit.dispose();
    }
  });
});
