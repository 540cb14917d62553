// RFC 9101 request objects (JAR) and JWT Secured Authorization Responses (JARM): both off until a tenant turns
// them on; a client may then require signed request objects of itself. openid-client signs the requests and
// verifies the signed responses.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { Browser, isPage } from '../support/browser.js';
import { discover, oidc } from '../support/relying-party.js';
import { clientRefusal, createProtocolClient, finishCodeFlow, setProtocol, startParameters } from '../support/protocol-profiles.js';

describe('JAR (RFC 9101) and JARM', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let keys: CryptoKeyPair;
  let jwks: string;

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    keys = await jose.generateKeyPair('ES256', { extractable: true });
    jwks = JSON.stringify({ keys: [{ ...(await jose.exportJWK(keys.publicKey)), alg: 'ES256', use: 'sig' }] });
  });

  const keyClient = async (issuer: string, slug: string, metadata: Record<string, unknown> = {}) => {
    const client = await createProtocolClient(server, slug, metadata, ['--auth-method', 'private_key_jwt', '--jwks', jwks]);
    return discover(issuer, client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey));
  };

  /**
   * the error a request ends in: redirected to the client, or — where the redirect URI cannot be trusted (an
   * unverifiable request object, OIDC Core §3.1.2.6) — shown on the error page
   */
  async function errorOf(url: URL): Promise<string | null> {
    const landed = await new Browser().navigate(url, (location) => location.href.startsWith(redirectUri));
    if (!isPage(landed)) return landed.searchParams.get('error');
    assert.equal(landed.status, 400);
    return /\b(invalid_request_object|request_not_supported|invalid_request)\b/.exec(landed.html)?.[1] ?? null;
  }

  it('off by default: discovery offers neither, a request object and response_mode=jwt are refused', async () => {
    const metadata = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.notEqual(metadata.request_parameter_supported, true);
    assert.equal(metadata.require_signed_request_object, undefined);
    assert.ok(!(metadata.response_modes_supported as string[]).includes('jwt'));
    const config = await keyClient(tenant.issuer, tenant.slug);
    const start = startParameters();
    assert.equal(await errorOf(await oidc.buildAuthorizationUrlWithJAR(config, await start.params(), keys.privateKey)), 'request_not_supported');
    assert.equal(await errorOf(oidc.buildAuthorizationUrl(config, { ...(await start.params()), response_mode: 'jwt' })), 'unsupported_response_mode');
    // oidc-provider would drop the metadata of a feature it does not have; Tessera refuses it instead
    assert.match(await clientRefusal(server, tenant.slug, { require_signed_request_object: true }), /require_signed_request_object needs the tenant's protocol\.jar\.enabled/);
    assert.match(await clientRefusal(server, tenant.slug, { authorization_signed_response_alg: 'ES256' }), /protocol\.jarm\.enabled/);
  });

  describe('turned on', () => {
    let slug: string;
    let issuer: string;
    before(async () => {
      ({ slug, issuer } = await createTenant(server));
      await setProtocol(server, slug, { jar: { enabled: true }, jarm: { enabled: true } });
    });

    it('signs in with a signed request object (JAR), and with one pushed (JAR + PAR)', async () => {
      const config = await keyClient(issuer, slug);
      const signedIn = await createUser(server, slug);
      const start = startParameters();
      const url = await oidc.buildAuthorizationUrlWithJAR(config, await start.params(), keys.privateKey);
      assert.ok(url.searchParams.get('request'));
      const { tokens } = await finishCodeFlow(config, signedIn, { url, ...start });
      assert.equal(tokens.claims()!.sub, signedIn.id);

      const pushed = startParameters();
      const jar = await oidc.buildAuthorizationUrlWithJAR(config, await pushed.params(), keys.privateKey);
      const parUrl = await oidc.buildAuthorizationUrlWithPAR(config, jar.searchParams);
      const again = await finishCodeFlow(config, signedIn, { url: parUrl, ...pushed });
      assert.equal(again.tokens.claims()!.sub, signedIn.id);
    });

    it('refuses a request object signed with a key the client did not register', async () => {
      const config = await keyClient(issuer, slug);
      const stranger = await jose.generateKeyPair('ES256');
      const start = startParameters();
      assert.equal(await errorOf(await oidc.buildAuthorizationUrlWithJAR(config, await start.params(), stranger.privateKey)), 'invalid_request_object');
    });

    it('a client registered with require_signed_request_object is refused plain parameters', async () => {
      const config = await keyClient(issuer, slug, { require_signed_request_object: true });
      const start = startParameters();
      assert.equal(await errorOf(oidc.buildAuthorizationUrl(config, await start.params())), 'invalid_request');
    });

    it('a tenant requiring signed request objects refuses plain parameters from every client', async () => {
      const strict = await createTenant(server);
      await setProtocol(server, strict.slug, { jar: { enabled: true, requireSigned: true } });
      const metadata = await (await fetch(`${strict.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(metadata.require_signed_request_object, true, 'discovery tells relying parties (RFC 9101 §10.5)');
      const config = await keyClient(strict.issuer, strict.slug);
      const start = startParameters();
      assert.equal(await errorOf(oidc.buildAuthorizationUrl(config, await start.params())), 'invalid_request');
      const signed = startParameters();
      const url = await oidc.buildAuthorizationUrlWithJAR(config, await signed.params(), keys.privateKey);
      const landed = await new Browser().navigate(url, (location) => location.href.startsWith(redirectUri));
      assert.ok(isPage(landed) && landed.status === 200 && landed.html.includes('/login"'), 'a signed request reaches the login page');
      assert.match(await clientRefusal(server, strict.slug, { require_signed_request_object: false }), /require_signed_request_object cannot be false/);
      const account = await new Browser().navigate(`${server.url}/t/${strict.slug}/account/sign-in`);
      assert.ok(isPage(account) && account.status === 200 && account.html.includes('/login"'), 'the account page still signs in');
    });

    it('answers response_mode=jwt with a signed response (JARM) that openid-client verifies', async () => {
      const config = await keyClient(issuer, slug);
      const signedIn = await createUser(server, slug);
      oidc.useJwtResponseMode(config);
      const start = startParameters({ response_mode: 'jwt' });
      const url = oidc.buildAuthorizationUrl(config, await start.params());
      const { callback, tokens } = await finishCodeFlow(config, signedIn, { url, ...start });
      assert.deepEqual([...callback.searchParams.keys()], ['response'], 'only the signed response');
      const claims = jose.decodeJwt(callback.searchParams.get('response')!);
      assert.equal(claims.iss, issuer);
      assert.ok(tokens.access_token);
    });
  });
});
