// FAPI 2.0 Security Profile in one tenant setting (protocol.fapi2.enabled): pushed authorization requests only,
// PKCE S256, DPoP-bound tokens, private_key_jwt with the issuer as audience, PS256/ES256/EdDSA only, no refresh
// token rotation; what the profile forbids is refused with the RFC's error. openid-client is the relying party.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createUser, redirectUri, uniqueSlug } from '../support/fixtures.js';
import { Browser, isPage } from '../support/browser.js';
import { discover, oidc, refusal, signIn } from '../support/relying-party.js';
import { clientRefusal, createProtocolClient, finishCodeFlow, setProtocol, settingsRefusal, startParameters } from '../support/protocol-profiles.js';

describe('FAPI 2.0 Security Profile', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let keys: CryptoKeyPair;
  let jwks: string;

  before(async () => {
    slug = uniqueSlug('fapi');
    ({ issuer } = await cliJson<{ issuer: string }>(server, ['tenant', 'create', slug, '--id-token-alg', 'ES256', '--access-token-alg', 'ES256']));
    user = await createUser(server, slug);
    keys = await jose.generateKeyPair('ES256', { extractable: true });
    jwks = JSON.stringify({ keys: [{ ...(await jose.exportJWK(keys.publicKey)), alg: 'ES256', use: 'sig' }] });
    await setProtocol(server, slug, { fapi2: { enabled: true } });
  });

  const fapiClient = async (metadata: Record<string, unknown> = { dpop_bound_access_tokens: true }, key = keys, keySet = jwks) => {
    const client = await createProtocolClient(server, slug, metadata, ['--auth-method', 'private_key_jwt', '--jwks', keySet, '--grant', 'authorization_code', '--grant', 'refresh_token']);
    return discover(issuer, client.client_id, undefined, oidc.PrivateKeyJwt(key.privateKey));
  };

  it('cannot be switched on for a tenant that signs with RS256', async () => {
    const rs = uniqueSlug('rs');
    await cliJson(server, ['tenant', 'create', rs]);
    assert.match(await settingsRefusal(server, rs, { protocol: { fapi2: { enabled: true } } }), /idTokenSigningAlg: FAPI 2.0 forbids RS256/);
  });

  it('a client registered before the switch that the profile forbids is refused as invalid_client, never a 500', async () => {
    const before = uniqueSlug('pre');
    const { issuer: preIssuer } = await cliJson<{ issuer: string }>(server, ['tenant', 'create', before, '--id-token-alg', 'ES256', '--access-token-alg', 'ES256']);
    const legacy = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', before, '--name', 'legacy', '--grant', 'client_credentials']);
    const config = await discover(preIssuer, legacy.client_id, legacy.client_secret);
    assert.ok((await oidc.clientCredentialsGrant(config)).access_token);
    await setProtocol(server, before, { fapi2: { enabled: true } });
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(config)), { error: 'invalid_client', status: 401 });
  });

  it('discovery drops what the profile forbids', async () => {
    const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.ok(!metadata.token_endpoint_auth_methods_supported!.some((m) => m.startsWith('client_secret')));
    for (const list of ['id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported', 'dpop_signing_alg_values_supported'] as const) {
      assert.ok(!metadata[list]!.includes('RS256') && !metadata[list]!.includes('HS256'), `${list}: ${metadata[list]}`);
    }
  });

  it('refuses clients the profile forbids: secrets, public clients, tokens not sender-constrained, opting out of PAR', async () => {
    assert.match(await clientRefusal(server, slug, { dpop_bound_access_tokens: true }), /token_endpoint_auth_method must be private_key_jwt/);
    assert.match(await clientRefusal(server, slug, { dpop_bound_access_tokens: true }, ['--public']), /token_endpoint_auth_method must be private_key_jwt/);
    assert.match(await clientRefusal(server, slug, {}, ['--auth-method', 'private_key_jwt', '--jwks', jwks]), /sender-constrained/);
    assert.match(await clientRefusal(server, slug, { dpop_bound_access_tokens: true, require_pushed_authorization_requests: false }, ['--auth-method', 'private_key_jwt', '--jwks', jwks]),
      /require_pushed_authorization_requests/);
  });

  it('signs in with PAR + PKCE + DPoP + private_key_jwt; ES256 id_token; the refresh token is not rotated', async () => {
    const config = await fapiClient();
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const start = startParameters({ scope: 'openid offline_access', prompt: 'consent' });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, await start.params(), { DPoP });
    const { callback, tokens } = await finishCodeFlow(config, user, { url, ...start }, { DPoP });
    assert.equal(callback.searchParams.get('iss'), issuer);
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(jose.decodeProtectedHeader(tokens.id_token!).alg, 'ES256');
    assert.ok(tokens.refresh_token);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    assert.equal(refreshed.refresh_token ?? tokens.refresh_token, tokens.refresh_token, '§5.3.2.1: no rotation');
    assert.equal(refreshed.token_type, 'dpop');
  });

  it('refuses an authorization request that was not pushed', async () => {
    const config = await fapiClient();
    const start = startParameters();
    const landed = await new Browser().navigate(oidc.buildAuthorizationUrl(config, await start.params()), (location) => location.href.startsWith(redirectUri));
    assert.ok(!isPage(landed));
    assert.equal(landed.searchParams.get('error'), 'invalid_request');
  });

  it('refuses a pushed request without PKCE', async () => {
    const config = await fapiClient();
    const { code_challenge: _c, code_challenge_method: _m, ...params } = await startParameters().params();
    assert.deepEqual(await refusal(oidc.buildAuthorizationUrlWithPAR(config, params)), { error: 'invalid_request', status: 400 });
  });

  it('refuses a token request without a DPoP proof (invalid_grant)', async () => {
    const config = await fapiClient();
    const start = startParameters();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, await start.params());
    await assert.rejects(finishCodeFlow(config, user, { url, ...start }), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
  });

  it('refuses client assertions signed with RS256, or addressed to the token endpoint instead of the issuer (invalid_client)', async () => {
    const rsa = await jose.generateKeyPair('RS256', { extractable: true });
    const rsaJwks = JSON.stringify({ keys: [{ ...(await jose.exportJWK(rsa.publicKey)), alg: 'RS256', use: 'sig' }] });
    const rsaClient = await fapiClient({ dpop_bound_access_tokens: true }, rsa, rsaJwks);
    assert.deepEqual(await refusal(oidc.buildAuthorizationUrlWithPAR(rsaClient, await startParameters().params())), { error: 'invalid_client', status: 401 });

    const client = await createProtocolClient(server, slug, { dpop_bound_access_tokens: true }, ['--auth-method', 'private_key_jwt', '--jwks', jwks]);
    const wrongAudience = await discover(issuer, client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey, {
      [oidc.modifyAssertion]: (_header: Record<string, unknown>, payload: Record<string, unknown>) => { payload.aud = `${issuer}/token`; },
    }));
    assert.deepEqual(await refusal(oidc.buildAuthorizationUrlWithPAR(wrongAudience, await startParameters().params())), { error: 'invalid_client', status: 401 });
  });

  it('with JARM on, a client that names no authorization_signed_response_alg is registered and gets responses signed with the tenant\'s ES256', async () => {
    const jarm = uniqueSlug('jarm');
    const { issuer: jarmIssuer } = await cliJson<{ issuer: string }>(server, ['tenant', 'create', jarm, '--id-token-alg', 'ES256', '--access-token-alg', 'ES256']);
    await setProtocol(server, jarm, { fapi2: { enabled: true }, jarm: { enabled: true } });
    const client = await createProtocolClient(server, jarm, { dpop_bound_access_tokens: true }, ['--auth-method', 'private_key_jwt', '--jwks', jwks]);
    const config = await discover(jarmIssuer, client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey));
    oidc.useJwtResponseMode(config);
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const start = startParameters({ response_mode: 'jwt' });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, await start.params(), { DPoP });
    const { callback, tokens } = await finishCodeFlow(config, await createUser(server, jarm), { url, ...start }, { DPoP });
    assert.equal(jose.decodeProtectedHeader(callback.searchParams.get('response')!).alg, 'ES256');
    assert.equal(tokens.token_type, 'dpop');
  });

  it('keeps the tenant\'s own account page signing in (Tessera\'s client, not a FAPI relying party)', async () => {
    const browser = new Browser();
    const callbackUrl = `${server.url}/t/${slug}/account/callback`;
    const callback = await signIn(browser, new URL(`${server.url}/t/${slug}/account/sign-in`), callbackUrl, user);
    const account = await browser.navigate(callback);
    const page = isPage(account) ? account : await browser.navigate(account);
    assert.ok(isPage(page));
    assert.equal(page.status, 200);
    assert.ok(page.html.includes(user.email), 'the account page shows the signed-in user');
  });
});
