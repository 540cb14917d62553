// Sign-in through the hosted pages with relying-party libraries configured as their documentation shows, reading
// the user's name and email from what each library hands the app (issue #17): Auth.js (@auth/core) with a generic
// OIDC provider, its session from GET /auth/session; openid-client with its defaults (client_secret_post, the
// id_token's claims). oidc-client-ts runs in Chromium (test/e2e/oidc-client-ts.e2e.test.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Auth, type AuthConfig } from '@auth/core';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { oidc, signIn } from '../support/relying-party.js';
import { Browser } from '../support/browser.js';

/** the app's origin: the browser walk stops at its callback, which the test hands to the library itself */
const appOrigin = 'http://127.0.0.1:9';

/** the cookies a browser keeps for the app (Auth.js's CSRF, PKCE and session cookies) */
class AppCookies {
  private readonly jar = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
  header(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe('relying-party libraries, unchanged', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug, { name: 'Ada Lovelace' });
  });

  it('Auth.js: session.user has the name and email', async () => {
    const client = await createClient(server, tenant.slug, ['--redirect-uri', `${appOrigin}/auth/callback/tessera`, '--first-party']);
    // as in Auth.js's guide for an OpenID Connect provider it does not ship
    const config: AuthConfig = {
      basePath: '/auth',
      secret: randomBytes(32).toString('hex'),
      trustHost: true,
      providers: [{ id: 'tessera', name: 'Tessera', type: 'oidc', issuer: tenant.issuer, clientId: client.client_id, clientSecret: client.client_secret! }],
    };
    const cookies = new AppCookies();
    const app = async (path: string | URL, init: RequestInit = {}) => {
      const response = await Auth(new Request(new URL(path, appOrigin), { ...init, headers: { ...init.headers, cookie: cookies.header() } }), config);
      cookies.take(response);
      return response;
    };

    const { csrfToken } = (await (await app('/auth/csrf')).json()) as { csrfToken: string };
    const start = await app('/auth/signin/tessera', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${appOrigin}/` }).toString(),
    });
    assert.equal(start.status, 302);
    const authorization = new URL(start.headers.get('location')!);
    assert.equal(authorization.origin + authorization.pathname, `${tenant.issuer}/auth`);

    const callback = await signIn(new Browser(), authorization, `${appOrigin}/auth/callback/tessera`, user);
    const finished = await app(callback);
    assert.equal(finished.status, 302);
    assert.equal(finished.headers.get('location'), `${appOrigin}/`, `signed in, not sent to an error page (${finished.headers.get('location')})`);

    const session = (await (await app('/auth/session')).json()) as { user?: { name?: string; email?: string } } | null;
    assert.equal(session?.user?.name, 'Ada Lovelace');
    assert.equal(session?.user?.email, user.email);
  });

  it('openid-client with its defaults: the id_token claims have the name and email', async () => {
    const client = await createClient(server, tenant.slug, ['--first-party']);
    // no client authentication given: openid-client uses client_secret_post; Tessera registered client_secret_basic
    const config = await oidc.discovery(new URL(tenant.issuer), client.client_id, client.client_secret!, undefined, { execute: [oidc.allowInsecureRequests] });
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/callback',
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    const callback = await signIn(new Browser(), url, 'http://127.0.0.1:9/callback', user);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, idTokenExpected: true });
    const claims = tokens.claims()!;
    assert.equal(claims.name, 'Ada Lovelace');
    assert.equal(claims.email, user.email);
    assert.ok(tokens.refresh_token, 'offline_access honoured without prompt=consent');
    await oidc.tokenRevocation(config, tokens.refresh_token!);
  });
});
