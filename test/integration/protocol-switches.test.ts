// The tenant switches for response_mode=form_post and the JWT client authentication methods (private_key_jwt,
// client_secret_jwt): on by default, as the library offers them; switched off, they leave discovery, a client may
// not register them, and a request that uses them is refused with the protocol's error. openid-client is the RP.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';
import { clientRefusal, createProtocolClient, finishCodeFlow, setProtocol, settingsRefusal, startParameters } from '../support/protocol-profiles.js';

const metadataOf = async (issuer: string) => (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as Promise<Record<string, string[]>>;

describe('form_post and JWT client authentication switches', () => {
  const server = useTessera();

  /** the authorization endpoint's answer to `config`'s request, not followed */
  async function authorize(config: oidc.Configuration, extra: Record<string, string>) {
    const start = startParameters(extra);
    const response = await fetch(oidc.buildAuthorizationUrl(config, await start.params()), { redirect: 'manual' });
    return { response, start };
  }

  it('are on by default: discovery offers form_post, private_key_jwt and client_secret_jwt', async () => {
    const { issuer } = await createTenant(server);
    const metadata = await metadataOf(issuer);
    assert.ok(metadata.response_modes_supported!.includes('form_post'));
    for (const method of ['private_key_jwt', 'client_secret_jwt']) assert.ok(metadata.token_endpoint_auth_methods_supported!.includes(method), method);
  });

  describe('form_post switched off', () => {
    let tenant: { slug: string; issuer: string };
    let config: oidc.Configuration;
    let user: Awaited<ReturnType<typeof createUser>>;

    before(async () => {
      tenant = await createTenant(server);
      user = await createUser(server, tenant.slug);
      const settings = await setProtocol(server, tenant.slug, { formPost: { enabled: false } });
      assert.deepEqual(settings.protocol.formPost, { enabled: false });
      const client = await createProtocolClient(server, tenant.slug, {});
      config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    });

    it('leaves discovery', async () => {
      assert.deepEqual([...(await metadataOf(tenant.issuer)).response_modes_supported!].sort(), ['fragment', 'query']);
    });

    it('refuses response_mode=form_post with unsupported_response_mode, sent back in the query', async () => {
      const { response, start } = await authorize(config, { response_mode: 'form_post' });
      assert.ok(response.status >= 300 && response.status < 400, `a redirect, not ${response.status}`);
      const callback = new URL(response.headers.get('location')!);
      assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
      assert.equal(callback.searchParams.get('code'), null);
      await assert.rejects(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state }),
        (error: unknown) => error instanceof oidc.AuthorizationResponseError && error.error === 'unsupported_response_mode');
    });

    it('refuses it in a pushed authorization request (RFC 9126) with the same error', async () => {
      const start = startParameters({ response_mode: 'form_post' });
      assert.deepEqual(await refusal(oidc.buildAuthorizationUrlWithPAR(config, await start.params())), { error: 'unsupported_response_mode', status: 400 });
    });

    it('refuses a client that registers form_post in its response_modes', async () => {
      assert.match(await clientRefusal(server, tenant.slug, { response_modes: ['query', 'form_post'] }), /response_modes cannot include form_post/);
    });

    it('leaves the query response mode working', async () => {
      const start = startParameters();
      const { tokens } = await finishCodeFlow(config, user, { url: oidc.buildAuthorizationUrl(config, await start.params()), ...start });
      assert.equal(tokens.claims()!.sub, user.id);
    });
  });

  it('per client: response_modes without form_post keeps that client from asking for it', async () => {
    const { slug, issuer } = await createTenant(server);
    const client = await createProtocolClient(server, slug, { response_modes: ['query'] });
    const config = await discover(issuer, client.client_id, client.client_secret!);
    const { response } = await authorize(config, { response_mode: 'form_post' });
    // oidc-provider answers the request in the mode asked for; no code is in it
    const answer = response.headers.get('location') ?? (await response.text());
    assert.match(answer, /invalid_request/);
    assert.doesNotMatch(answer, /name="code"|[?&]code=/);
  });

  describe('JWT client authentication switched off', () => {
    let tenant: { slug: string; issuer: string };
    const machine = (authMethod: string, extra: string[] = []) => cliJson<{ client_id: string; client_secret: string | null }>(server, [
      'client', 'create', '--tenant', tenant.slug, '--name', authMethod, '--grant', 'client_credentials', '--auth-method', authMethod, ...extra,
    ]);

    before(async () => {
      tenant = await createTenant(server);
    });

    it('leaves discovery; registering either method is refused; a client that registered one before fails authentication', async () => {
      const registered = await machine('client_secret_jwt');
      const registeredConfig = await discover(tenant.issuer, registered.client_id, undefined, oidc.ClientSecretJwt(registered.client_secret!));
      assert.ok((await oidc.clientCredentialsGrant(registeredConfig)).access_token, 'works while on');

      await setProtocol(server, tenant.slug, { clientAuth: { privateKeyJwt: false, clientSecretJwt: false } });
      // the one list oidc-provider publishes; it holds for introspection and revocation too (RFC 8414 §2)
      const methods = (await metadataOf(tenant.issuer)).token_endpoint_auth_methods_supported!;
      assert.ok(methods.includes('client_secret_basic'));
      assert.equal(methods.some((m) => m === 'private_key_jwt' || m === 'client_secret_jwt'), false, methods.join(' '));
      const key = await jose.generateKeyPair('ES256', { extractable: true });
      const jwks = JSON.stringify({ keys: [{ ...(await jose.exportJWK(key.publicKey)), alg: 'ES256', use: 'sig' }] });
      for (const [method, extra] of [['private_key_jwt', ['--jwks', jwks]], ['client_secret_jwt', []]] as const) {
        const refused = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', method, '--grant', 'client_credentials', '--auth-method', method, ...extra]);
        assert.notEqual(refused.code, 0, method);
        assert.match(refused.stderr, /token_endpoint_auth_method/, method);
      }
      assert.deepEqual(await refusal(oidc.clientCredentialsGrant(registeredConfig)), { error: 'invalid_client', status: 401 });

      // dynamic registration (RFC 7591 §3.2.2) is held to the same list
      await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ registration: { enabled: true, redirectUris: 'https-or-loopback' } })]);
      const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', tenant.slug]);
      const registration = await fetch(`${tenant.issuer}/reg`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_jwt' }),
      });
      assert.equal(registration.status, 400);
      assert.equal(((await registration.json()) as { error: string }).error, 'invalid_client_metadata');

      const secret = await machine('client_secret_basic');
      assert.ok((await oidc.clientCredentialsGrant(await discover(tenant.issuer, secret.client_id, secret.client_secret!))).access_token, 'secrets still authenticate');
    });

    it('one method alone: private_key_jwt stays when only client_secret_jwt is off', async () => {
      const { slug, issuer } = await createTenant(server);
      await setProtocol(server, slug, { clientAuth: { clientSecretJwt: false } });
      const methods = (await metadataOf(issuer)).token_endpoint_auth_methods_supported!;
      assert.ok(methods.includes('private_key_jwt'));
      assert.ok(!methods.includes('client_secret_jwt'));
      const keys = await jose.generateKeyPair('ES256', { extractable: true });
      const client = await cliJson<{ client_id: string }>(server, ['client', 'create', '--tenant', slug, '--name', 'Keyed', '--grant', 'client_credentials', '--auth-method', 'private_key_jwt',
        '--jwks', JSON.stringify({ keys: [{ ...(await jose.exportJWK(keys.publicKey)), alg: 'ES256', use: 'sig' }] })]);
      const config = await discover(issuer, client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey));
      assert.ok((await oidc.clientCredentialsGrant(config)).access_token);
    });

    it('FAPI 2.0 cannot go without both private_key_jwt and mTLS', async () => {
      const { slug } = await createTenant(server);
      assert.match(await settingsRefusal(server, slug, { protocol: { fapi2: { enabled: true }, clientAuth: { privateKeyJwt: false } } }), /protocol\.clientAuth\.privateKeyJwt/);
    });
  });
});
