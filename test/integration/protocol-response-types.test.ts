// Implicit and hybrid response types (OIDC Core §3.2, §3.3): RFC 9700 §2.1.2 advises against them, so a tenant
// offers only the code flow until it turns them on. openid-client drives each flow it supports.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { Browser } from '../support/browser.js';
import { discover, oidc, signIn } from '../support/relying-party.js';
import { clientRefusal, createProtocolClient, setProtocol, startParameters } from '../support/protocol-profiles.js';

// implicit and hybrid clients on the web must register https redirect URIs (OIDC Core §3.2.2.1)
const httpsRedirect = 'https://app.example.test/callback';
const metadataOf = async (issuer: string) => (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as Promise<Record<string, string[]>>;

describe('implicit and hybrid response types', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };

  before(async () => {
    tenant = await createTenant(server);
  });

  it('are off by default: discovery offers code only, and a client cannot register them', async () => {
    assert.deepEqual((await metadataOf(tenant.issuer)).response_types_supported, ['code']);
    assert.match(await clientRefusal(server, tenant.slug, { response_types: ['code id_token'] }, ['--grant', 'authorization_code', '--grant', 'implicit']), /response_types|grant_types/);
    assert.match(await clientRefusal(server, tenant.slug, { response_types: ['code id_token'] }), /response_types/);
    assert.match(await clientRefusal(server, tenant.slug, { response_types: ['id_token'] }, ['--grant', 'implicit']), /response_types|grant_types/);
  });

  describe('turned on', () => {
    let slug: string;
    let issuer: string;
    let user: Awaited<ReturnType<typeof createUser>>;
    before(async () => {
      ({ slug, issuer } = await createTenant(server));
      user = await createUser(server, slug);
      await setProtocol(server, slug, { responseTypes: { implicit: true, hybrid: true } });
    });

    it('discovery lists them', async () => {
      assert.deepEqual([...(await metadataOf(issuer)).response_types_supported!].sort(),
        ['code', 'code id_token', 'code id_token token', 'code token', 'id_token', 'id_token token']);
    });

    it('hybrid (code id_token): the fragment carries a code and an id_token that openid-client checks', async () => {
      const client = await createProtocolClient(server, slug, { response_types: ['code id_token'] }, ['--grant', 'authorization_code', '--grant', 'implicit'], httpsRedirect);
      const config = await discover(issuer, client.client_id, client.client_secret!);
      oidc.useCodeIdTokenResponseType(config);
      const start = startParameters({ redirect_uri: httpsRedirect });
      const callback = await signIn(new Browser(), oidc.buildAuthorizationUrl(config, await start.params()), httpsRedirect, user);
      const fragment = new URLSearchParams(callback.hash.slice(1));
      assert.ok(fragment.get('code') && fragment.get('id_token'));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.equal(tokens.claims()!.sub, user.id);
    });

    it('implicit (id_token): openid-client validates the id_token from the fragment', async () => {
      const client = await createProtocolClient(server, slug, { response_types: ['id_token'] }, ['--grant', 'implicit'], httpsRedirect);
      const config = await discover(issuer, client.client_id, client.client_secret!);
      oidc.useIdTokenResponseType(config);
      const start = startParameters({ redirect_uri: httpsRedirect });
      const { code_challenge: _c, code_challenge_method: _m, ...params } = await start.params();
      const callback = await signIn(new Browser(), oidc.buildAuthorizationUrl(config, params), httpsRedirect, user);
      const claims = await oidc.implicitAuthentication(config, callback, start.nonce, { expectedState: start.state });
      assert.equal(claims.sub, user.id);
    });

    it('implicit (id_token token): the access token from the authorization endpoint says how the user signed in, as the id_token does', async () => {
      const client = await createProtocolClient(server, slug, { response_types: ['id_token token'] }, ['--grant', 'implicit'], httpsRedirect);
      const config = await discover(issuer, client.client_id, client.client_secret!);
      // RFC 8707 resource: a JWT access token for the tenant's default API, minted from the browser's session (no code)
      const start = startParameters({ redirect_uri: httpsRedirect, response_type: 'id_token token', resource: `${issuer}/api` });
      const { code_challenge: _c, code_challenge_method: _m, ...params } = await start.params();
      const callback = await signIn(new Browser(), oidc.buildAuthorizationUrl(config, params), httpsRedirect, user);
      const fragment = new URLSearchParams(callback.hash.slice(1));
      const [idToken, accessToken] = [decodeJwt(fragment.get('id_token')!), decodeJwt(fragment.get('access_token')!)];
      assert.equal(accessToken.aud, `${issuer}/api`);
      assert.deepEqual(accessToken.amr, ['pwd']);
      assert.deepEqual([accessToken.amr, accessToken.acr], [idToken.amr, idToken.acr]);
      assert.equal(typeof accessToken.auth_time, 'number');
    });

    it('a code-only client of that tenant still cannot use them', async () => {
      const client = await createProtocolClient(server, slug, {});
      const config = await discover(issuer, client.client_id, client.client_secret!);
      const start = startParameters({ response_type: 'code id_token' });
      const landed = await new Browser().navigate(oidc.buildAuthorizationUrl(config, await start.params()), (location) => location.href.startsWith(redirectUri));
      assert.ok(landed instanceof URL);
      assert.equal(new URLSearchParams(landed.hash.slice(1)).get('error') ?? landed.searchParams.get('error'), 'invalid_request', 'oidc-provider: "requested response_type is not allowed for this client"');
    });
  });
});
