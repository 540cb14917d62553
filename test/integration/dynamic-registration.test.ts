// Dynamic client registration (RFC 7591) and management (RFC 7592), as a relying party using openid-client meets
// them: off until the tenant switches it on, then gated by operator-minted initial access tokens and the tenant's
// registration policy.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { codeFlow, oidc, refusal } from '../support/relying-party.js';

interface Minted { initial_access_token: string; single_use: boolean; registration_endpoint: string }

describe('dynamic client registration', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };

  const settings = (registration: Record<string, unknown>) =>
    cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ registration })]);
  const mint = (extra: string[] = []) => cliJson<Minted>(server, ['registration', 'token', '--tenant', tenant.slug, ...extra]);
  const register = (metadata: Partial<oidc.ClientMetadata>, initialAccessToken?: string) =>
    oidc.dynamicClientRegistration(new URL(tenant.issuer), metadata, undefined, { initialAccessToken, execute: [oidc.allowInsecureRequests] });
  /** a registration over plain HTTP, for the answers openid-client does not expose */
  const post = (body: unknown, token?: string) => fetch(`${tenant.issuer}/reg`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
  });
  const web = { redirect_uris: [redirectUri], client_name: 'Registered app' };

  before(async () => {
    tenant = await createTenant(server);
  });

  it('is off by default: no registration_endpoint, no endpoint, and no token can be minted', async () => {
    const metadata = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(metadata.registration_endpoint, undefined);
    const response = await post(web, 'anything');
    assert.ok(response.status === 404 || response.status === 400, `status ${response.status}`);
    await response.body?.cancel();
    const refused = await server.cli(['registration', 'token', '--tenant', tenant.slug]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /registration is off for this tenant/);
  });

  describe('switched on', () => {
    before(async () => {
      await settings({ enabled: true, redirectUris: 'https-or-loopback', allowedScopes: ['openid', 'profile', 'email', 'read:orders'] });
    });

    it('advertises the endpoint, registers with a single-use token, and the client signs a user in', async () => {
      const metadata = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(metadata.registration_endpoint, `${tenant.issuer}/reg`);
      const minted = await mint();
      assert.equal(minted.single_use, true);
      const config = await register(web, minted.initial_access_token);
      const client = config.clientMetadata();
      assert.equal(typeof client.client_secret, 'string');
      assert.equal(typeof client.registration_access_token, 'string');
      assert.equal(client.scope, 'openid profile email', 'a client that names no scope gets the tenant\'s allowed OpenID scopes');
      assert.equal(client.api_scope, 'read:orders');
      assert.equal(client.first_party, false);

      const user = await createUser(server, tenant.slug, { name: 'Reg User' });
      const { tokens } = await codeFlow(config, redirectUri, user, { params: { scope: 'openid email' } });
      assert.equal(tokens.claims()?.email, user.email);

      const again = await refusal(register(web, minted.initial_access_token));
      assert.deepEqual(again, { error: 'invalid_token', status: 401 }, 'a single-use token is spent');
    });

    it('refuses registrations without a valid initial access token', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const response = await post(web, token);
        assert.equal(response.status, 401);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_token');
      }
    });

    it('spends a single-use token exactly once when registrations race', async () => {
      const { initial_access_token: token } = await mint();
      const statuses = await Promise.all(Array.from({ length: 6 }, async () => {
        const response = await post(web, token);
        await response.body?.cancel();
        return response.status;
      }));
      assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses.join(',')}`);
      assert.ok(statuses.every((s) => s === 201 || s === 401), `statuses ${statuses.join(',')}`);
    });

    it('lets a multi-use token register more than once', async () => {
      const minted = await mint(['--multi-use', '--ttl', '600']);
      assert.equal(minted.single_use, false);
      await register(web, minted.initial_access_token);
      await register(web, minted.initial_access_token);
    });

    it('applies the tenant policy: grants, redirect URIs, scopes, and operator-only metadata', async () => {
      const { initial_access_token: token } = await mint(['--multi-use', '--ttl', '600']);
      const cases: [Record<string, unknown>, string][] = [
        [{ ...web, grant_types: ['client_credentials'], response_types: [] }, 'invalid_client_metadata'],
        [{ ...web, scope: 'openid admin:all' }, 'invalid_client_metadata'],
        [{ ...web, first_party: true }, 'invalid_client_metadata'],
        [{ ...web, headless: true }, 'invalid_client_metadata'],
        [{ ...web, redirect_uris: ['http://app.example.com/callback'] }, 'invalid_redirect_uri'],
        [{ ...web, redirect_uris: ['com.example.app:/callback'] }, 'invalid_redirect_uri'],
      ];
      for (const [metadata, error] of cases) {
        const response = await post(metadata, token);
        assert.equal(response.status, 400, JSON.stringify(metadata));
        assert.equal(((await response.json()) as { error: string }).error, error, JSON.stringify(metadata));
      }
      await settings({ redirectUris: 'https' });
      const response = await post(web, token);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_redirect_uri', 'https only: loopback http is refused too');
      assert.equal((await post({ ...web, redirect_uris: ['https://app.example.com/callback'] }, token)).status, 201);
      await settings({ redirectUris: 'https-or-loopback' });
    });

    it('refuses an initial access token longer-lived than the tenant allows', async () => {
      const refused = await server.cli(['registration', 'token', '--tenant', tenant.slug, '--ttl', String(8 * 86_400)]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr + refused.stdout, /ttlSeconds may be at most 604800/);
    });

    it('RFC 7592: the client reads, updates and deletes its registration with its registration access token', async () => {
      const { initial_access_token: token } = await mint();
      const config = await register(web, token);
      const { client_id: clientId, registration_client_uri: uri, registration_access_token: rat } = config.clientMetadata() as Record<string, string>;
      assert.equal(uri, `${tenant.issuer}/reg/${clientId}`);
      const auth = (value: string) => ({ authorization: `Bearer ${value}` });

      const read = await fetch(uri, { headers: auth(rat) });
      assert.equal(read.status, 200);
      const current = (await read.json()) as Record<string, unknown>;
      assert.equal(current.client_name, 'Registered app');

      const { registration_access_token: _r, registration_client_uri: _u, client_secret_expires_at: _e, client_id_issued_at: _i, ...metadata } = current;
      const update = await fetch(uri, { method: 'PUT', headers: { ...auth(rat), 'content-type': 'application/json' }, body: JSON.stringify({ ...metadata, client_name: 'Renamed app' }) });
      assert.equal(update.status, 200, await update.clone().text());
      const updated = (await update.json()) as Record<string, string>;
      assert.equal(updated.client_name, 'Renamed app');
      assert.notEqual(updated.registration_access_token, rat, 'the registration access token rotates on update');
      assert.equal((await fetch(uri, { headers: auth(rat) })).status, 401, 'the old registration access token is gone');

      const smuggle = await fetch(uri, { method: 'PUT', headers: { ...auth(updated.registration_access_token), 'content-type': 'application/json' }, body: JSON.stringify({ ...metadata, first_party: true }) });
      assert.equal(smuggle.status, 400);
      assert.equal(((await smuggle.json()) as { error: string }).error, 'invalid_client_metadata', 'the policy holds on update too');

      const removed = await fetch(uri, { method: 'DELETE', headers: auth(updated.registration_access_token) });
      assert.equal(removed.status, 204);
      const listed = await cliJson<{ items: { client_id: string }[] }>(server, ['client', 'list', '--tenant', tenant.slug]);
      assert.ok(!listed.items.some((c) => c.client_id === clientId), 'the deleted client is gone from the tenant');

      const exported = await server.cli(['audit', 'export', '--tenant', tenant.slug]);
      const types = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; clientId: string | null })
        .filter((e) => e.clientId === clientId).map((e) => e.type);
      assert.deepEqual(types, ['client.registered', 'client.registration_updated', 'client.registration_deleted']);
      assert.ok(!exported.stdout.includes(rat) && !exported.stdout.includes(token), 'no token in the log');
    });
  });

  describe('software statements (RFC 7591 §2.3)', () => {
    let issuerKey: CryptoKey;
    let publicJwk: jose.JWK;
    const statement = (claims: Record<string, unknown>, key: CryptoKey = issuerKey, expiresIn = '5m') =>
      new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'publisher-1' }).setIssuer('https://publisher.example.com').setIssuedAt().setExpirationTime(expiresIn).sign(key);
    const errorOf = async (response: Response) => ({ status: response.status, error: ((await response.json()) as { error: string }).error });

    before(async () => {
      const pair = await jose.generateKeyPair('ES256', { extractable: true });
      issuerKey = pair.privateKey;
      publicJwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'publisher-1', alg: 'ES256' };
      await settings({ enabled: true, redirectUris: 'https-or-loopback', allowedScopes: ['openid', 'profile', 'email'], softwareStatement: { trustedKeys: [publicJwk] } });
    });

    it("verifies a trusted statement; its claims take precedence over the request's", async () => {
      const { initial_access_token: token } = await mint();
      const signed = await statement({ software_id: 'acme-app', client_name: 'Acme (verified)', redirect_uris: [redirectUri], scope: 'openid email' });
      const response = await post({ ...web, client_name: 'Claimed name', scope: 'openid profile', software_statement: signed }, token);
      assert.equal(response.status, 201, await response.clone().text());
      const client = (await response.json()) as Record<string, unknown>;
      assert.equal(client.client_name, 'Acme (verified)');
      assert.equal(client.scope, 'openid email');
      assert.equal(client.software_statement, undefined, 'the statement is not stored');
    });

    it('refuses an unverifiable statement with invalid_software_statement, and does not spend the token', async () => {
      const { initial_access_token: token } = await mint();
      const stranger = await jose.generateKeyPair('ES256');
      const cases = [
        await statement({ client_name: 'Forged' }, stranger.privateKey),
        await statement({ client_name: 'Stale' }, issuerKey, '-1m'),
        'not-a-jwt',
        (await statement({ client_name: 'Tampered' })).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ iss: 'https://publisher.example.com', client_name: 'Tampered!' })).toString('base64url')}.`),
      ];
      for (const signed of cases) assert.deepEqual(await errorOf(await post({ ...web, software_statement: signed }, token)), { status: 400, error: 'invalid_software_statement' }, signed);
      assert.deepEqual(await errorOf(await post({ ...web, software_statement: 42 }, token)), { status: 400, error: 'invalid_software_statement' });
      assert.equal((await post(web, token)).status, 201, 'the single-use token is still good');
    });

    it("holds the statement's claims to the tenant's rules", async () => {
      const { initial_access_token: token } = await mint(['--multi-use', '--ttl', '600']);
      assert.deepEqual(await errorOf(await post({ ...web, software_statement: await statement({ first_party: true }) }, token)), { status: 400, error: 'invalid_client_metadata' });
      assert.deepEqual(await errorOf(await post({ ...web, software_statement: await statement({ scope: 'openid admin:all' }) }, token)), { status: 400, error: 'invalid_client_metadata' });
      const response = await post({ ...web, software_statement: await statement({ client_id: 'chosen-id', client_name: 'Id grab' }) }, token);
      assert.equal(response.status, 201);
      assert.notEqual(((await response.json()) as { client_id: string }).client_id, 'chosen-id', 'the server assigns the client_id');
    });

    it('required: a registration or update without a statement is refused; with one it passes', async () => {
      await settings({ softwareStatement: { required: true } });
      try {
        const { initial_access_token: token } = await mint(['--multi-use', '--ttl', '600']);
        const refused = await errorOf(await post(web, token));
        assert.deepEqual(refused, { status: 400, error: 'invalid_client_metadata' });
        const registered = await post({ ...web, software_statement: await statement({ software_id: 'acme-app' }) }, token);
        assert.equal(registered.status, 201);
        const { registration_client_uri: uri, registration_access_token: rat } = (await registered.json()) as Record<string, string>;
        const update = (body: Record<string, unknown>) => fetch(uri!, { method: 'PUT', headers: { authorization: `Bearer ${rat}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const unsigned = await update({ ...web, client_id: uri!.split('/').pop(), client_name: 'Renamed without a statement' });
        assert.deepEqual(await errorOf(unsigned), { status: 400, error: 'invalid_client_metadata' }, 'an RFC 7592 update needs one too');
      } finally {
        await settings({ softwareStatement: { required: false } });
      }
    });

    it('refuses settings that require statements without a trusted key, or hold a private key', async () => {
      const { slug } = await createTenant(server);
      const set = (softwareStatement: Record<string, unknown>) => server.cli(['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ registration: { enabled: true, softwareStatement } })]);
      const unkeyed = await set({ required: true });
      assert.notEqual(unkeyed.code, 0);
      assert.match(unkeyed.stderr, /softwareStatement\.required/);
      const privateJwk = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
      const leaked = await set({ trustedKeys: [privateJwk] });
      assert.notEqual(leaked.code, 0);
      assert.match(leaked.stderr, /public key/);
      assert.doesNotMatch(leaked.stderr, new RegExp(privateJwk.d!), 'the key is not echoed');
    });
  });
});
