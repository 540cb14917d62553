// Token introspection (RFC 7662) and revocation (RFC 7009) as a client uses them: what a live token reports,
// what a revoked one reports, and the answers for tokens these endpoints do not handle.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { decodeJwt } from 'jose';
import { accessTokenLive, discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { signInForResources } from '../support/rbac-setup.js';
import { client as managementClient, operator } from '../support/management.js';

describe('introspection and revocation', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  let config: oidc.Configuration;
  let otherConfig: oidc.Configuration;
  let other: { client_id: string; client_secret: string | null };
  let machineConfig: oidc.Configuration;
  let machine: { client_id: string; client_secret: string };
  let foreign: { slug: string; issuer: string };
  let foreignMachine: { client_id: string; client_secret: string };
  /** the tenant's default API, the audience of its JWT access tokens */
  const api = () => `${tenant.issuer}/api`;
  const basic = (c: { client_id: string; client_secret: string | null }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

  /** a new grant with a refresh token; with email, as the tests read the scopes back */
  const freshTokens = () => signInOffline(config, user, { scope: 'openid email offline_access' });

  /** a raw call, for the status code and body openid-client hides */
  function post(endpoint: 'introspection_endpoint' | 'revocation_endpoint', body: Record<string, string>, auth = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`) {
    return fetch(config.serverMetadata()[endpoint] as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: new URLSearchParams(body),
    });
  }

  before(async () => {
    [tenant, foreign] = await Promise.all([createTenant(server), createTenant(server)]);
    user = await createUser(server, tenant.slug);
    foreignMachine = await cliJson(server, ['client', 'create', '--tenant', foreign.slug, '--name', 'Stranger', '--grant', 'client_credentials']);
    [client, other, machine] = await Promise.all([
      createClient(server, tenant.slug),
      createClient(server, tenant.slug),
      cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Worker', '--grant', 'client_credentials', '--scope', 'reports:read reports:write']),
    ]);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    otherConfig = await discover(tenant.issuer, other.client_id, other.client_secret!);
    machineConfig = await discover(tenant.issuer, machine.client_id, machine.client_secret);
  });

  describe('introspection (RFC 7662)', () => {
    it('reports a live refresh token as active with its client, subject, scope and lifetime', async () => {
      const tokens = await freshTokens();
      const now = Math.floor(Date.now() / 1000);
      const info = await oidc.tokenIntrospection(config, tokens.refresh_token!);
      assert.equal(info.active, true);
      assert.equal(info.client_id, client.client_id);
      assert.equal(info.sub, user.id);
      assert.equal(info.iss, tenant.issuer);
      assert.deepEqual(info.scope!.split(' ').sort(), ['email', 'offline_access', 'openid']);
      assert.ok(typeof info.iat === 'number' && Math.abs(info.iat - now) < 60);
      assert.ok(typeof info.exp === 'number' && info.exp > now);
    });

    it('reports a live opaque (userinfo) access token as active', async () => {
      const tokens = await freshTokens();
      const info = await oidc.tokenIntrospection(config, tokens.access_token, { token_type_hint: 'access_token' });
      assert.equal(info.active, true);
      assert.equal(info.token_type, 'Bearer');
      assert.equal(info.client_id, client.client_id);
      assert.equal(info.sub, user.id);
      assert.deepEqual(info.scope!.split(' ').sort(), ['email', 'offline_access', 'openid']);
      assert.ok(typeof info.exp === 'number' && info.exp > Date.now() / 1000);
    });

    it('reports an unknown token as inactive, with nothing else', async () => {
      const info = await oidc.tokenIntrospection(config, 'no-such-token');
      assert.deepEqual({ ...info }, { active: false });
    });

    it("reports another client's token as inactive (RFC 7662 §2.2: not allowed to introspect it)", async () => {
      const tokens = await freshTokens();
      const info = await oidc.tokenIntrospection(otherConfig, tokens.refresh_token!);
      assert.deepEqual({ ...info }, { active: false }, 'nothing about the token leaks to another client');
    });

    it('reports a client_credentials JWT access token as active to its client, with the RFC 7662 claims', async () => {
      const { access_token: jwt } = await oidc.clientCredentialsGrant(machineConfig, { scope: 'reports:read' });
      const claims = decodeJwt(jwt);
      const response = await post('introspection_endpoint', { token: jwt }, basic(machine));
      assert.equal(response.status, 200);
      const info = (await response.json()) as Record<string, unknown>;
      assert.equal(info.active, true);
      assert.equal(info.token_type, 'Bearer');
      assert.equal(info.client_id, machine.client_id);
      assert.equal(info.sub, machine.client_id);
      assert.equal(info.iss, tenant.issuer);
      assert.equal(info.aud, `${tenant.issuer}/api`);
      assert.equal(info.jti, claims.jti);
      assert.equal(info.exp, claims.exp);
      assert.equal(info.iat, claims.iat);
      assert.equal(info.scope, 'reports:read', 'RFC 7662 §2.2: the scope granted');
      // openid-client's own check of the answer (RFC 7662 §2.2)
      assert.equal((await oidc.tokenIntrospection(machineConfig, jwt, { token_type_hint: 'access_token' })).active, true);
    });

    it("reports a user's JWT access token as active with its subject and scope", async () => {
      const reader = await createClient(server, tenant.slug, ['--scope', 'openid reports:read reports:write']);
      const readerConfig = await discover(tenant.issuer, reader.client_id, reader.client_secret!);
      const tokens = await signInForResources(readerConfig, user, { resources: [api()], tokenResource: api(), scope: 'openid reports:read' });
      assert.ok(decodeJwt(tokens.access_token).jti, 'a JWT');
      const info = await oidc.tokenIntrospection(readerConfig, tokens.access_token);
      assert.equal(info.active, true);
      assert.equal(info.sub, user.id);
      assert.equal(info.client_id, reader.client_id);
      assert.equal(info.aud, api());
      assert.equal(info.scope, 'reports:read', 'the API scope granted, not the OpenID ones (RFC 9068 §2.2.3)');
    });

    it("reports another client's JWT, a JWT of another tenant and an id_token as inactive, never an error", async () => {
      const { access_token: jwt } = await oidc.clientCredentialsGrant(machineConfig);
      assert.deepEqual({ ...(await oidc.tokenIntrospection(config, jwt)) }, { active: false });
      const stranger = await discover(foreign.issuer, foreignMachine.client_id, foreignMachine.client_secret);
      const { access_token: foreignJwt } = await oidc.clientCredentialsGrant(stranger);
      assert.deepEqual({ ...(await oidc.tokenIntrospection(machineConfig, foreignJwt)) }, { active: false });
      const tokens = await freshTokens();
      assert.deepEqual({ ...(await oidc.tokenIntrospection(config, tokens.id_token!)) }, { active: false });
    });

    it('requires client authentication', async () => {
      const tokens = await freshTokens();
      // no credentials at all is a malformed request (RFC 6749 §5.2); wrong credentials are invalid_client
      const response = await post('introspection_endpoint', { token: tokens.refresh_token! }, '');
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: string; active?: boolean };
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.active, undefined);
      const wrong = await post('introspection_endpoint', { token: tokens.refresh_token! }, `Basic ${Buffer.from(`${client.client_id}:wrong`).toString('base64')}`);
      assert.equal(wrong.status, 401);
      const wrongBody = (await wrong.json()) as { error: string; active?: boolean };
      assert.equal(wrongBody.error, 'invalid_client');
      assert.equal(wrongBody.active, undefined);
    });
  });

  describe('revocation (RFC 7009)', () => {
    it('revokes a refresh token: inactive at introspection, refused at the token endpoint', async () => {
      const tokens = await freshTokens();
      await oidc.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
      assert.deepEqual({ ...(await oidc.tokenIntrospection(config, tokens.refresh_token!)) }, { active: false });
      const { error, status } = await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!));
      assert.deepEqual({ error, status }, { error: 'invalid_grant', status: 400 });
      // RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the access tokens of the same grant
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    });

    it('revokes an access token: inactive at introspection, refused at userinfo', async () => {
      const tokens = await freshTokens();
      await oidc.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
      const response = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('answers 200 for an unknown token (RFC 7009 §2.2)', async () => {
      const response = await post('revocation_endpoint', { token: 'no-such-token' });
      assert.equal(response.status, 200);
      await oidc.tokenRevocation(config, 'no-such-token-either', { token_type_hint: 'refresh_token' });
    });

    it("does not let another client revoke a client's token, and answers as for an unknown one (RFC 7009 §2.2)", async () => {
      const tokens = await freshTokens();
      const response = await post('revocation_endpoint', { token: tokens.refresh_token! }, basic(other));
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '', 'nothing about the token leaks');
      await oidc.tokenRevocation(otherConfig, tokens.access_token, { token_type_hint: 'access_token' });
      assert.equal((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active, true, 'refresh token still live');
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, true, 'access token still live');
    });

    it('answers with an empty 200 that claims no content type', async () => {
      const tokens = await freshTokens();
      const response = await post('revocation_endpoint', { token: tokens.refresh_token! });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
      assert.equal(response.headers.get('content-type'), null);
    });

    it('revokes a client_credentials JWT: inactive at introspection and the permissions check', async () => {
      const { access_token: jwt } = await oidc.clientCredentialsGrant(machineConfig);
      const check = async () => {
        const response = await fetch(`${tenant.issuer}/permissions/check`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: jwt, audience: api() }),
        });
        assert.equal(response.status, 200);
        return ((await response.json()) as { active: boolean }).active;
      };
      assert.equal(await check(), true, 'live before');
      const response = await post('revocation_endpoint', { token: jwt, token_type_hint: 'access_token' }, basic(machine));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), null);
      assert.deepEqual({ ...(await oidc.tokenIntrospection(machineConfig, jwt)) }, { active: false });
      assert.equal(await check(), false);
    });

    it("revokes a user's JWT access token; userinfo never takes it", async () => {
      const tokens = await signInForResources(config, user, { resources: [api()], tokenResource: api(), scope: 'openid' });
      await oidc.tokenRevocation(config, tokens.access_token);
      assert.deepEqual({ ...(await oidc.tokenIntrospection(config, tokens.access_token)) }, { active: false });
      assert.equal(await accessTokenLive(config, tokens.access_token), false);
    });

    it('revokes a Management API token: the API refuses it', async () => {
      const ops = await operator(server, ['tenants:read']);
      const api = managementClient(server, ops.token);
      assert.equal((await api.get('/tenants')).status, 200, 'accepted before');
      const system = await discover(server.issuer('system'), ops.clientId, ops.clientSecret);
      await oidc.tokenRevocation(system, ops.token);
      const refused = await api.get('/tenants');
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'auth.invalid_token');
    });

    it("does not let another client revoke a client's JWT, which stays live; the answer is an empty 200", async () => {
      const { access_token: jwt } = await oidc.clientCredentialsGrant(machineConfig);
      const response = await post('revocation_endpoint', { token: jwt, token_type_hint: 'access_token' });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
      await oidc.tokenRevocation(config, jwt);
      assert.equal((await oidc.tokenIntrospection(machineConfig, jwt)).active, true);
    });

    it('answers 200 for a JWT this tenant did not sign', async () => {
      const stranger = await discover(foreign.issuer, foreignMachine.client_id, foreignMachine.client_secret);
      const { access_token: foreignJwt } = await oidc.clientCredentialsGrant(stranger);
      const response = await post('revocation_endpoint', { token: foreignJwt }, basic(machine));
      assert.equal(response.status, 200);
      assert.equal((await oidc.tokenIntrospection(stranger, foreignJwt)).active, true, 'untouched in its own tenant');
    });

    it('requires client authentication', async () => {
      const tokens = await freshTokens();
      const response = await post('revocation_endpoint', { token: tokens.refresh_token! }, '');
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
      const wrong = await post('revocation_endpoint', { token: tokens.refresh_token! }, `Basic ${Buffer.from(`${client.client_id}:wrong`).toString('base64')}`);
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
      assert.equal((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active, true, 'still live');
    });
  });
});
