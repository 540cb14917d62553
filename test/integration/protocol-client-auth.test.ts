// Client authentication by JWT assertion (RFC 7523, OIDC Core §9): private_key_jwt with the client's registered
// public key, client_secret_jwt with its secret. openid-client makes the assertions.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';

describe('JWT client authentication', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };

  before(async () => {
    tenant = await createTenant(server);
  });

  const machine = (authMethod: string, extra: string[] = []) => cliJson<{ client_id: string; client_secret: string | null }>(server, [
    'client', 'create', '--tenant', tenant.slug, '--name', authMethod, '--grant', 'client_credentials', '--auth-method', authMethod, ...extra,
  ]);

  it('private_key_jwt: the registered key authenticates, another key does not', async () => {
    const keys = await jose.generateKeyPair('ES256', { extractable: true });
    const client = await machine('private_key_jwt', ['--jwks', JSON.stringify({ keys: [{ ...(await jose.exportJWK(keys.publicKey)), alg: 'ES256', use: 'sig' }] })]);
    assert.equal(client.client_secret, null, 'no secret for a key-authenticated client');
    const config = await discover(tenant.issuer, client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey));
    assert.ok((await oidc.clientCredentialsGrant(config)).access_token);

    const stranger = await jose.generateKeyPair('ES256');
    const wrong = await discover(tenant.issuer, client.client_id, undefined, oidc.PrivateKeyJwt(stranger.privateKey));
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(wrong)), { error: 'invalid_client', status: 401 });
  });

  it('client_secret_jwt: an HS256 assertion made with the client\'s secret authenticates, another secret does not', async () => {
    const client = await machine('client_secret_jwt');
    assert.ok(client.client_secret, 'the secret is shown once at creation');
    const config = await discover(tenant.issuer, client.client_id, undefined, oidc.ClientSecretJwt(client.client_secret!));
    assert.ok((await oidc.clientCredentialsGrant(config)).access_token);
    const wrong = await discover(tenant.issuer, client.client_id, undefined, oidc.ClientSecretJwt('not-the-secret-but-long-enough-for-hs256-0123456789'));
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(wrong)), { error: 'invalid_client', status: 401 });
  });

  it('a client_secret_jwt client cannot fall back to client_secret_basic', async () => {
    const client = await machine('client_secret_jwt');
    const basic = await discover(tenant.issuer, client.client_id, client.client_secret!);
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(basic)), { error: 'invalid_client', status: 401 });
  });
});
