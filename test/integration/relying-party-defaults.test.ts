// What relying-party libraries expect without extra configuration (issue #17): the granted scopes' claims in the
// id_token (a tenant can switch to the strict userinfo-only reading), and offline_access honoured without
// prompt=consent for first-party clients, and for third-party clients where the tenant allows it, after consent.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, codeFlow, discover, oidc } from '../support/relying-party.js';
import { Browser, isPage } from '../support/browser.js';

describe('relying-party library defaults', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let strict: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let strictUser: Awaited<ReturnType<typeof createUser>>;
  let firstParty: oidc.Configuration;
  let thirdParty: oidc.Configuration;
  let strictConfig: oidc.Configuration;

  const settings = (slug: string, oidcSettings: Record<string, string>) => cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ oidc: oidcSettings })]);

  before(async () => {
    [tenant, strict] = await Promise.all([createTenant(server), createTenant(server)]);
    [user, strictUser] = await Promise.all([
      createUser(server, tenant.slug, { name: 'Ada Lovelace' }),
      createUser(server, strict.slug, { name: 'Grace Hopper' }),
    ]);
    await settings(strict.slug, { idTokenClaims: 'userinfo' });
    const [first, third, strictClient] = await Promise.all([
      createClient(server, tenant.slug, ['--first-party']),
      createClient(server, tenant.slug),
      createClient(server, strict.slug, ['--first-party']),
    ]);
    firstParty = await discover(tenant.issuer, first.client_id, first.client_secret!);
    thirdParty = await discover(tenant.issuer, third.client_id, third.client_secret!);
    strictConfig = await discover(strict.issuer, strictClient.client_id, strictClient.client_secret!);
  });

  describe('id_token claims', () => {
    it('carries the profile and email claims of the granted scopes by default', async () => {
      const { tokens } = await codeFlow(firstParty, redirectUri, user, { params: { scope: 'openid profile email' } });
      const claims = tokens.claims()!;
      assert.equal(claims.name, 'Ada Lovelace');
      assert.equal(claims.email, user.email);
      assert.equal(claims.email_verified, true);
    });

    it('carries no claim of a scope that was not granted', async () => {
      const { tokens } = await codeFlow(firstParty, redirectUri, user, { params: { scope: 'openid email' } });
      const claims = tokens.claims()!;
      assert.equal(claims.email, user.email);
      assert.equal(claims.name, undefined);
    });

    it('with idTokenClaims "userinfo", leaves them to userinfo (OIDC Core §5.4)', async () => {
      const { tokens } = await codeFlow(strictConfig, redirectUri, strictUser, { params: { scope: 'openid profile email' } });
      const claims = tokens.claims()!;
      assert.equal(claims.email, undefined);
      assert.equal(claims.name, undefined);
      const info = await oidc.fetchUserInfo(strictConfig, tokens.access_token, strictUser.id);
      assert.equal(info.email, strictUser.email);
      assert.equal(info.name, 'Grace Hopper');
    });

    it('refuses an unknown idTokenClaims value', async () => {
      const result = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ oidc: { idTokenClaims: 'both' } })]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /oidc\.idTokenClaims/);
    });
  });

  describe('offline_access without prompt=consent', () => {
    it('gives a first-party client a refresh token, with no consent page', async () => {
      const browser = new Browser();
      const request = await authorizationRequest(firstParty, redirectUri, { scope: 'openid offline_access' });
      const login = await browser.navigate(request.url, () => false);
      assert.ok(isPage(login) && login.html.includes('/login"'));
      const callback = await browser.submit(login, '/login', { email: user.email, password: user.password }, (url) => url.href.startsWith(redirectUri));
      assert.ok(!isPage(callback), 'straight back to the app: no consent page');
      const tokens = await oidc.authorizationCodeGrant(firstParty, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce });
      assert.ok(tokens.refresh_token, 'a refresh token');
      assert.equal((await oidc.refreshTokenGrant(firstParty, tokens.refresh_token!)).token_type.toLowerCase(), 'bearer');
    });

    it('gives a third-party client none by default (OIDC Core §11)', async () => {
      const { tokens } = await codeFlow(thirdParty, redirectUri, user, { params: { scope: 'openid offline_access' } });
      assert.equal(tokens.refresh_token, undefined);
      assert.deepEqual(tokens.scope?.split(' ').sort(), ['openid']);
    });

    it('with offlineAccess "all-clients", gives a third-party client one once the user consents to it', async () => {
      const other = await createTenant(server);
      await settings(other.slug, { offlineAccess: 'all-clients' });
      const [member, app] = await Promise.all([createUser(server, other.slug), createClient(server, other.slug)]);
      const config = await discover(other.issuer, app.client_id, app.client_secret!);
      const browser = new Browser();
      const request = await authorizationRequest(config, redirectUri, { scope: 'openid offline_access' });
      const login = await browser.navigate(request.url, () => false);
      assert.ok(isPage(login));
      const consent = await browser.submit(login, '/login', { email: member.email, password: member.password }, (url) => url.href.startsWith(redirectUri));
      assert.ok(isPage(consent) && consent.html.includes('/confirm"'), 'the consent page asks');
      assert.match(consent.html, /Stay signed in/);
      const callback = await browser.submit(consent, '/confirm', {}, (url) => url.href.startsWith(redirectUri));
      assert.ok(!isPage(callback));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce });
      assert.ok(tokens.refresh_token, 'a refresh token');
    });
  });
});
