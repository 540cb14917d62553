// Dynamic client registration (RFC 7591) and management (RFC 7592), as a relying party using openid-client meets
// them: off until the tenant switches it on, then gated by operator-minted initial access tokens and the tenant's
// registration policy.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
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
});
