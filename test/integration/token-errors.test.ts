// The authorization and token endpoints refuse what RFC 6749, RFC 7636 and RFC 9700 say they must, each with its
// RFC error code and status: a relying party's mistakes and an attacker's replays look the same from here.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, discover, oidc, refusal, signIn, type AuthorizationRequest } from '../support/relying-party.js';
import { Browser, isPage } from '../support/browser.js';

/** the error parameters the authorization endpoint sent the browser back to the client with (RFC 6749 §4.1.2.1) */
function callbackError(location: URL) {
  return Object.fromEntries(['error', 'error_description', 'state', 'iss', 'code'].map((name) => [name, location.searchParams.get(name)]));
}

const atCallback = (location: URL) => location.href.startsWith(redirectUri);

describe('authorization and token endpoint errors', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  let config: oidc.Configuration;

  /** a fresh authorization code for `config`, not yet redeemed */
  async function authorize(params: Record<string, string> = {}, cfg = config): Promise<{ request: AuthorizationRequest; callback: URL }> {
    const request = await authorizationRequest(cfg, redirectUri, params);
    const callback = await signIn(new Browser(), request.url, redirectUri, user);
    assert.ok(callback.searchParams.get('code'), `no code in ${callback.href}`);
    return { request, callback };
  }

  const redeem = (callback: URL, request: AuthorizationRequest, cfg = config, verifier = request.codeVerifier) =>
    oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true });

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    client = await createClient(server, tenant.slug, ['--first-party']);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });

  describe('token endpoint', () => {
    it('refuses a wrong PKCE verifier with invalid_grant (RFC 7636 §4.6)', async () => {
      const { request, callback } = await authorize();
      const wrong = oidc.randomPKCECodeVerifier();
      assert.deepEqual(await refusal(redeem(callback, request, config, wrong)), { error: 'invalid_grant', status: 400 });
    });

    it('refuses a code redeemed without its verifier with invalid_grant', async () => {
      const { callback } = await authorize();
      const response = await fetch(config.serverMetadata().token_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: redirectUri }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    });

    it('refuses a reused code with invalid_grant and revokes the tokens of its first redemption (RFC 6749 §4.1.2)', async () => {
      const { request, callback } = await authorize({ scope: 'openid offline_access', prompt: 'consent' });
      const first = await redeem(callback, request);
      assert.ok(first.refresh_token, 'offline_access with prompt=consent yields a refresh token');
      await oidc.fetchUserInfo(config, first.access_token, first.claims()!.sub);

      assert.deepEqual(await refusal(redeem(callback, request)), { error: 'invalid_grant', status: 400 });

      assert.equal((await refusal(oidc.refreshTokenGrant(config, first.refresh_token))).error, 'invalid_grant', 'refresh token of the first redemption revoked');
      const userinfo = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${first.access_token}` } });
      assert.equal(userinfo.status, 401, 'access token of the first redemption revoked');
      assert.match(userinfo.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('refuses a redirect_uri other than the one of the authorization request with invalid_grant', async () => {
      const { request, callback } = await authorize();
      const elsewhere = new URL(`http://127.0.0.1:9/other${callback.search}`);
      assert.deepEqual(await refusal(redeem(elsewhere, request)), { error: 'invalid_grant', status: 400 });
    });

    it('refuses a wrong client secret with invalid_client 401 and leaves the code unspent', async () => {
      const { request, callback } = await authorize();
      const impostor = await discover(tenant.issuer, client.client_id, 'not-the-secret');
      assert.deepEqual(await refusal(redeem(callback, request, impostor)), { error: 'invalid_client', status: 401 });
      const tokens = await redeem(callback, request);
      assert.ok(tokens.access_token);
    });

    it('refuses a confidential client that presents no secret with invalid_client 401', async () => {
      const { request, callback } = await authorize();
      const wrongMethod = await discover(tenant.issuer, client.client_id, undefined, oidc.None());
      assert.deepEqual(await refusal(redeem(callback, request, wrongMethod)), { error: 'invalid_client', status: 401 });
    });

    it('refuses an unknown client with invalid_client 401', async () => {
      const { request, callback } = await authorize();
      const unknown = await discover(tenant.issuer, 'no-such-client', 'whatever');
      assert.deepEqual(await refusal(redeem(callback, request, unknown)), { error: 'invalid_client', status: 401 });
    });

    it("refuses another client's code with invalid_grant", async () => {
      const { request, callback } = await authorize();
      const other = await createClient(server, tenant.slug, ['--first-party']);
      const otherConfig = await discover(tenant.issuer, other.client_id, other.client_secret!);
      assert.deepEqual(await refusal(redeem(callback, request, otherConfig)), { error: 'invalid_grant', status: 400 });
    });

    it('answers an unknown grant_type with unsupported_grant_type and a missing one with invalid_request', async () => {
      const post = (body: Record<string, string>) => fetch(config.serverMetadata().token_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
        body: new URLSearchParams(body),
      });
      const unknown = await post({ grant_type: 'password', username: user.email, password: user.password });
      assert.equal(unknown.status, 400);
      assert.equal(((await unknown.json()) as { error: string }).error, 'unsupported_grant_type');
      const missing = await post({ code: 'x' });
      assert.equal(missing.status, 400);
      assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
    });
  });

  describe('authorization endpoint', () => {
    it('requires PKCE from a public client (RFC 9700 §2.1.1): no code_challenge → invalid_request at the redirect_uri', async () => {
      const pub = await createClient(server, tenant.slug, ['--public', '--first-party']);
      assert.equal(pub.client_secret, null);
      const pubConfig = await discover(tenant.issuer, pub.client_id);
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(pubConfig, { redirect_uri: redirectUri, scope: 'openid', state });
      const location = await new Browser().navigate(url, atCallback);
      assert.ok(!isPage(location), 'the error goes back to the client');
      const got = callbackError(location);
      assert.equal(got.error, 'invalid_request');
      assert.match(got.error_description ?? '', /PKCE/);
      assert.equal(got.state, state);
      assert.equal(got.iss, tenant.issuer);
      assert.equal(got.code, null);

      // the same client with PKCE signs in, with no secret at all
      const { request, callback } = await authorize({}, pubConfig);
      assert.ok((await redeem(callback, request, pubConfig)).id_token);
    });

    it('refuses code_challenge_method=plain (RFC 9700 §2.1.1) with invalid_request', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state, code_challenge: verifier, code_challenge_method: 'plain' });
      const location = await new Browser().navigate(url, atCallback);
      assert.ok(!isPage(location), 'the error goes back to the client');
      const got = callbackError(location);
      assert.equal(got.error, 'invalid_request');
      assert.match(got.error_description ?? '', /code_challenge_method/);
      assert.equal(got.state, state);
      assert.equal(got.code, null);
    });

    it('answers a missing redirect_uri with a 400 error page, not a redirect or a 500', async () => {
      const base = config.serverMetadata().authorization_endpoint!;
      for (const path of [base, `${base}/anything`]) {
        const url = new URL(path);
        url.search = new URLSearchParams({ client_id: client.client_id, response_type: 'code', scope: 'openid', state: 's' }).toString();
        const page = await new Browser().navigate(url);
        assert.ok(isPage(page));
        assert.ok(page.status >= 400 && page.status < 500, `${url.pathname}: status ${page.status}`);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(page.headers.get('x-frame-options'), 'DENY');
        if (path === base) {
          assert.equal(page.status, 400);
          // a friendly text from the catalogue (issue #14), with the protocol error code for whoever debugs it
          assert.match(page.html, /The app sent a sign-in request that is not valid/);
          assert.match(page.html, /<code class="ref">invalid_request<\/code>/);
        }
      }
    });

    it('answers an unregistered redirect_uri with an error page and never redirects there', async () => {
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: 'https://attacker.example/cb', scope: 'openid', state: 's', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      const page = await new Browser().navigate(url, (location) => location.host === 'attacker.example');
      assert.ok(isPage(page), 'no redirect to the unregistered URI');
      assert.equal(page.status, 400);
      assert.match(page.html, /redirect_uri/);
    });

    it('answers an unknown client_id with a 400 error page, not a redirect', async () => {
      const url = new URL(config.serverMetadata().authorization_endpoint!);
      url.search = new URLSearchParams({ client_id: 'no-such-client', response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 's' }).toString();
      const page = await new Browser().navigate(url, atCallback);
      assert.ok(isPage(page), 'an unknown client gets no redirect');
      assert.equal(page.status, 400);
      assert.match(page.html, /client/i);
    });

    it('refuses response_type=token (no implicit flow, RFC 9700 §2.1.2)', async () => {
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state, response_type: 'token', nonce: 'n' });
      const location = await new Browser().navigate(url, (l) => l.href.startsWith(redirectUri));
      assert.ok(!isPage(location));
      const params = location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
      assert.equal(params.get('error'), 'unsupported_response_type');
      assert.equal(params.get('access_token'), null);
    });
  });
});
