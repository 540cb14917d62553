// RFC 9449 DPoP with server nonces (§8): a proof without the server's nonce is answered `use_dpop_nonce` and a
// fresh nonce; DPoP-bound access tokens are refused as plain bearer tokens; a public client's refresh token is
// bound to its DPoP key (§5), so another key cannot use it. openid-client is the relying party (it retries with the
// nonce on its own, as relying parties do).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';
import { clientRefusal, createProtocolClient, finishCodeFlow, setProtocol, startParameters } from '../support/protocol-profiles.js';

/** a DPoP proof JWT for one request (RFC 9449 §4.2) */
async function proof(keys: CryptoKeyPair, htu: string, nonce?: string): Promise<string> {
  const jwk = await jose.exportJWK(keys.publicKey);
  return new jose.SignJWT({ htm: 'POST', htu, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt().sign(keys.privateKey);
}

describe('DPoP (RFC 9449)', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let machine: { client_id: string; client_secret: string };

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    machine = await cliJson(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'machine', '--grant', 'client_credentials']);
  });

  const clientCredentials = (issuer: string, dpop: string) => fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`, dpop },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });

  it('requires the server nonce by default: use_dpop_nonce with a DPoP-Nonce, then a DPoP token', async () => {
    const keys = await jose.generateKeyPair('ES256');
    const first = await clientCredentials(tenant.issuer, await proof(keys, `${tenant.issuer}/token`));
    assert.equal(first.status, 400);
    assert.equal(((await first.json()) as { error: string }).error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'the answer carries a nonce');
    const second = await clientCredentials(tenant.issuer, await proof(keys, `${tenant.issuer}/token`, nonce));
    assert.equal(second.status, 200);
    assert.equal(((await second.json()) as { token_type: string }).token_type, 'DPoP');
  });

  it('binds a code-flow access token to the key: userinfo accepts it with a proof, not as a bearer token', async () => {
    const client = await createProtocolClient(server, tenant.slug, { dpop_bound_access_tokens: true });
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const start = startParameters();
    const { tokens } = await finishCodeFlow(config, user, { url: oidc.buildAuthorizationUrl(config, await start.params()), ...start }, { DPoP });
    assert.equal(tokens.token_type, 'dpop');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP });
    assert.equal(info.sub, user.id);
    const asBearer = await fetch(`${tenant.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(asBearer.status, 401);
  });

  it('refuses a token request without a proof from a client registered with dpop_bound_access_tokens', async () => {
    const client = await createProtocolClient(server, tenant.slug, { dpop_bound_access_tokens: true });
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const start = startParameters();
    await assert.rejects(finishCodeFlow(config, user, { url: oidc.buildAuthorizationUrl(config, await start.params()), ...start }),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
  });

  it('binds a public client\'s refresh token to its DPoP key (§5): another key or none is refused', async () => {
    const client = await createProtocolClient(server, tenant.slug, {}, ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token']);
    const config = await discover(tenant.issuer, client.client_id);
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const start = startParameters({ scope: 'openid offline_access', prompt: 'consent' });
    const { tokens } = await finishCodeFlow(config, user, { url: oidc.buildAuthorizationUrl(config, await start.params()), ...start }, { DPoP });
    assert.ok(tokens.refresh_token);
    const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: otherKey }))).status, 400);
    assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!))).status, 400);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    assert.equal(refreshed.token_type, 'dpop');
  });

  it('a tenant may drop the nonce requirement, or DPoP altogether', async () => {
    const relaxed = await createTenant(server);
    await setProtocol(server, relaxed.slug, { dpop: { requireNonce: false } });
    const keysA = await jose.generateKeyPair('ES256');
    machine = await cliJson(server, ['client', 'create', '--tenant', relaxed.slug, '--name', 'machine', '--grant', 'client_credentials']);
    const answer = await clientCredentials(relaxed.issuer, await proof(keysA, `${relaxed.issuer}/token`));
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { token_type: string }).token_type, 'DPoP');

    await setProtocol(server, relaxed.slug, { dpop: { enabled: false } });
    const metadata = await (await fetch(`${relaxed.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(metadata.dpop_signing_alg_values_supported, undefined);
    const bearer = await clientCredentials(relaxed.issuer, await proof(keysA, `${relaxed.issuer}/token`));
    assert.equal(((await bearer.json()) as { token_type: string }).token_type, 'Bearer');
    assert.match(await clientRefusal(server, relaxed.slug, { dpop_bound_access_tokens: true }), /protocol\.dpop\.enabled/, 'not silently dropped');
  });
});
