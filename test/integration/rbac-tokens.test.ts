// Roles and permissions in tokens (issue #6), decoded and verified against the tenant's JWKS as a resource
// server would: an API's access token (RFC 9068) carries the subject's roles and only the permissions they
// hold on that API; id_token and userinfo carry roles only with the `roles` scope; claim names follow the
// tenant's settings; a role change shows in the next token; an unknown resource is invalid_target (RFC 8707).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';
import { Browser } from '../support/browser.js';
import { eventually, openServices, signInForResources, tenantRef } from '../support/rbac-setup.js';
import type { Services } from '../../src/services.js';

const orders = 'https://orders.example.com';
const billing = 'https://billing.example.com/v1';

describe('RBAC in tokens', () => {
  let services: Services | undefined;
  // registered before useTessera's hooks, so it runs before the server stops and its database is dropped
  after(async () => { await services?.close(); });
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let ref: { id: string; slug: string };
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let bob: Awaited<ReturnType<typeof createUser>>;
  let web: oidc.Configuration;
  let machine: oidc.Configuration;
  let machineId: string;

  const verify = async (token: string, audience: string) =>
    (await jose.jwtVerify(token, jwks, { issuer: tenant.issuer, audience, typ: 'at+jwt' })).payload;

  before(async () => {
    tenant = await createTenant(server);
    services = await openServices(server);
    ref = await tenantRef(services, tenant.slug);
    jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    // APIs and roles exist before the server first builds this tenant's provider
    await services.rbac.createApi(ref, { identifier: orders, name: 'Orders', permissions: [{ name: 'read:orders' }, { name: 'write:orders' }] });
    await services.rbac.createApi(ref, { identifier: billing, name: 'Billing', permissions: [{ name: 'read:invoices' }, { name: 'pay:invoices' }] });
    await services.rbac.createRole(ref, { name: 'clerk', permissions: [{ api: orders, name: 'read:orders' }, { api: billing, name: 'read:invoices' }] });
    await services.rbac.createRole(ref, { name: 'manager', permissions: [{ api: orders, name: 'write:orders' }] });
    [alice, bob] = await Promise.all([createUser(server, tenant.slug), createUser(server, tenant.slug)]);
    await services.rbac.assignUserRoles(ref, alice.id, ['clerk']);
    const [webClient, machineClient] = await Promise.all([
      createClient(server, tenant.slug),
      cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Worker', '--grant', 'client_credentials']),
    ]);
    await services.rbac.assignClientRoles(ref, machineClient.client_id, ['manager']);
    web = await discover(tenant.issuer, webClient.client_id, webClient.client_secret!);
    machine = await discover(tenant.issuer, machineClient.client_id, machineClient.client_secret);
    machineId = machineClient.client_id;
  });

  describe("a user's access token for an API", () => {
    it('carries their roles and only the permissions they hold on that API', async () => {
      const tokens = await signInForResources(web, alice, { resources: [orders], tokenResource: orders, scope: 'openid' });
      const claims = await verify(tokens.access_token, orders);
      assert.equal(claims.sub, alice.id);
      assert.deepEqual(claims.roles, ['clerk']);
      assert.deepEqual(claims.permissions, ['read:orders'], 'read:invoices is a permission on another API');
    });

    it('for another API carries that API\'s permissions', async () => {
      const tokens = await signInForResources(web, alice, { resources: [billing], tokenResource: billing, scope: 'openid' });
      const claims = await verify(tokens.access_token, billing);
      assert.deepEqual(claims.aud, billing);
      assert.deepEqual(claims.roles, ['clerk']);
      assert.deepEqual(claims.permissions, ['read:invoices']);
    });

    it('from one sign-in for two APIs, each token carries only its own API\'s permissions', async () => {
      const tokens = await signInForResources(web, alice, { resources: [orders, billing], tokenResource: orders, scope: 'openid offline_access' });
      assert.deepEqual((await verify(tokens.access_token, orders)).permissions, ['read:orders']);
      const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!, { resource: billing });
      const claims = await verify(refreshed.access_token, billing);
      assert.equal(claims.aud, billing, 'one audience per token');
      assert.deepEqual(claims.permissions, ['read:invoices']);
    });

    it('does not verify for another audience', async () => {
      const tokens = await signInForResources(web, alice, { resources: [orders], tokenResource: orders, scope: 'openid' });
      await assert.rejects(verify(tokens.access_token, billing), jose.errors.JWTClaimValidationFailed);
    });

    it('of a user without roles carries empty lists', async () => {
      const tokens = await signInForResources(web, bob, { resources: [orders], tokenResource: orders, scope: 'openid' });
      const claims = await verify(tokens.access_token, orders);
      assert.deepEqual(claims.roles, []);
      assert.deepEqual(claims.permissions, []);
    });

    it('for the tenant\'s default API (no resource asked) is a JWT with the same claims', async () => {
      const defaultApi = `${tenant.issuer}/api`;
      const tokens = await oidc.clientCredentialsGrant(machine);
      const claims = await verify(tokens.access_token, defaultApi);
      assert.deepEqual(claims.roles, ['manager']);
      assert.deepEqual(claims.permissions, [], 'manager holds nothing on the default API');
    });
  });

  describe('client_credentials', () => {
    it("carries the client's roles and its permissions on the API asked for", async () => {
      const forOrders = await verify((await oidc.clientCredentialsGrant(machine, { resource: orders })).access_token, orders);
      assert.equal(forOrders.sub, machineId);
      assert.equal(forOrders.client_id, machineId);
      assert.deepEqual(forOrders.roles, ['manager']);
      assert.deepEqual(forOrders.permissions, ['write:orders']);

      const forBilling = await verify((await oidc.clientCredentialsGrant(machine, { resource: billing })).access_token, billing);
      assert.deepEqual(forBilling.roles, ['manager']);
      assert.deepEqual(forBilling.permissions, []);
    });

    it('is granted, of the scopes the client was registered with, only those the API defines as permissions', async () => {
      const scoped = await cliJson<{ client_id: string; client_secret: string }>(server, [
        'client', 'create', '--tenant', tenant.slug, '--name', 'Scoped worker', '--grant', 'client_credentials', '--scope', 'read:orders read:invoices made:up',
      ]);
      const config = await discover(tenant.issuer, scoped.client_id, scoped.client_secret);
      const granted = await verify((await oidc.clientCredentialsGrant(config, { resource: orders, scope: 'read:orders' })).access_token, orders);
      assert.equal(granted.scope, 'read:orders');
      const forBilling = await verify((await oidc.clientCredentialsGrant(config, { resource: billing, scope: 'read:invoices' })).access_token, billing);
      assert.equal(forBilling.scope, 'read:invoices');
      // a scope of another API, or of none, is not granted for this one (oidc-provider leaves it out of the token)
      for (const [resource, scope] of [[billing, 'read:orders'], [orders, 'made:up'], [orders, 'read:orders made:up']] as const) {
        const token = await verify((await oidc.clientCredentialsGrant(config, { resource, scope })).access_token, resource);
        assert.ok(!String(token.scope ?? '').split(' ').includes(scope.split(' ').at(-1)!), `${scope} for ${resource}: ${token.scope}`);
      }
    });

    it('refuses an unregistered resource with invalid_target (RFC 8707 §2)', async () => {
      assert.deepEqual(await refusal(oidc.clientCredentialsGrant(machine, { resource: 'https://unknown.example.com' })), { error: 'invalid_target', status: 400 });
    });

    // The server keeps a machine client's claims and resource answers between tokens (extra-token-claims.ts,
    // resource-servers.ts): a change of its roles or of its registered scopes must still show in its next tokens.
    it("shows a change of the client's roles and of its registered scopes in its next tokens", async () => {
      const worker = await cliJson<{ client_id: string; client_secret: string }>(server, [
        'client', 'create', '--tenant', tenant.slug, '--name', 'Changing worker', '--grant', 'client_credentials', '--scope', 'read:orders',
      ]);
      await services!.rbac.assignClientRoles(ref, worker.client_id, ['manager']);
      const config = await discover(tenant.issuer, worker.client_id, worker.client_secret);
      const token = async () => verify((await oidc.clientCredentialsGrant(config, { resource: orders, scope: 'read:orders write:orders' })).access_token, orders);
      for (let i = 0; i < 3; i++) {
        const same = await token();
        assert.deepEqual([same.roles, same.permissions, same.scope, same.environment], [['manager'], ['write:orders'], 'read:orders', 'live']);
      }

      await services!.rbac.assignClientRoles(ref, worker.client_id, ['clerk']);
      await eventually(async () => ((await token()).roles as string[]).length === 2, 'the assigned role in the next token');
      const assigned = await token();
      assert.deepEqual([[...(assigned.roles as string[])].sort(), [...(assigned.permissions as string[])].sort()], [['clerk', 'manager'], ['read:orders', 'write:orders']]);

      await services!.rbac.unassignClientRoles(ref, worker.client_id, ['manager']);
      await eventually(async () => String((await token()).roles) === 'clerk', 'the unassigned role gone from the next token');
      assert.deepEqual((await token()).permissions, ['read:orders']);

      await cliJson(server, ['client', 'update', '--tenant', tenant.slug, '--id', worker.client_id, '--scope', 'write:orders']);
      await eventually(async () => (await token()).scope === 'write:orders', 'the newly registered scope in the next token');
    });
  });

  describe('id_token and userinfo', () => {
    it('carry roles when the client asks for the roles scope', async () => {
      const tokens = await signInForResources(web, alice, { resources: [], scope: 'openid roles' });
      assert.deepEqual(tokens.claims()!.roles, ['clerk']);
      const info = await oidc.fetchUserInfo(web, tokens.access_token, alice.id);
      assert.deepEqual(info.roles, ['clerk']);
    });

    it('carry no roles without it, even when the claims parameter asks for them', async () => {
      const tokens = await signInForResources(web, alice, { resources: [], scope: 'openid profile' });
      assert.equal(tokens.claims()!.roles, undefined);
      assert.equal((await oidc.fetchUserInfo(web, tokens.access_token, alice.id)).roles, undefined);

      const claims = JSON.stringify({ id_token: { roles: null }, userinfo: { roles: null } });
      const asked = await signInForResources(web, alice, { resources: [], scope: 'openid', extra: { claims } });
      assert.equal(asked.claims()!.roles, undefined);
      assert.equal((await oidc.fetchUserInfo(web, asked.access_token, alice.id)).roles, undefined);
    });
  });

  describe('a change of roles', () => {
    it('shows in the next token: a refresh reflects roles assigned, unassigned and re-permissioned', async () => {
      const carol = await createUser(server, tenant.slug);
      await services!.rbac.assignUserRoles(ref, carol.id, ['clerk']);
      const first = await signInForResources(web, carol, { resources: [orders], tokenResource: orders, scope: 'openid offline_access roles' });
      assert.deepEqual((await verify(first.access_token, orders)).permissions, ['read:orders']);

      await services!.rbac.assignUserRoles(ref, carol.id, ['manager']);
      const second = await oidc.refreshTokenGrant(web, first.refresh_token!, { resource: orders });
      const afterAssign = await verify(second.access_token, orders);
      assert.deepEqual(afterAssign.roles, ['clerk', 'manager']);
      assert.deepEqual(afterAssign.permissions, ['read:orders', 'write:orders']);
      assert.deepEqual(second.claims()!.roles, ['clerk', 'manager'], 'the refreshed id_token too');

      await services!.rbac.unassignUserRoles(ref, carol.id, ['clerk']);
      const third = await oidc.refreshTokenGrant(web, second.refresh_token!, { resource: orders });
      const afterUnassign = await verify(third.access_token, orders);
      assert.deepEqual(afterUnassign.roles, ['manager']);
      assert.deepEqual(afterUnassign.permissions, ['write:orders']);

      await services!.rbac.updateRole(ref, 'manager', { permissions: [{ api: orders, name: 'write:orders' }, { api: orders, name: 'read:orders' }] });
      const fourth = await oidc.refreshTokenGrant(web, third.refresh_token!, { resource: orders });
      assert.deepEqual((await verify(fourth.access_token, orders)).permissions, ['read:orders', 'write:orders'], 'a role\'s new permission');
      await services!.rbac.updateRole(ref, 'manager', { permissions: [{ api: orders, name: 'write:orders' }] });
    });
  });

  describe('resources', () => {
    it('an unknown resource at the authorization endpoint is invalid_target', async () => {
      const params = new URLSearchParams({
        redirect_uri: redirectUri, scope: 'openid', resource: 'https://unknown.example.com', state: 's',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const step = await new Browser().navigate(oidc.buildAuthorizationUrl(web, params), (location) => location.href.startsWith(redirectUri));
      assert.ok(step instanceof URL, 'the error goes back to the client');
      assert.equal(step.searchParams.get('error'), 'invalid_target');
    });

    it('an unknown resource at the token endpoint is invalid_target', async () => {
      const tokens = await signInForResources(web, alice, { resources: [orders], scope: 'openid offline_access' });
      assert.deepEqual(await refusal(oidc.refreshTokenGrant(web, tokens.refresh_token!, { resource: 'https://unknown.example.com' })), { error: 'invalid_target', status: 400 });
    });

    it('an API registered or deleted while the server runs is known or unknown to it at once (pub/sub)', async () => {
      const late = 'https://late.example.com';
      const api = await services!.rbac.createApi(ref, { identifier: late, name: 'Late', permissions: [{ name: 'use:late' }] });
      await services!.rbac.createRole(ref, { name: 'late-user', permissions: [{ api: late, name: 'use:late' }] });
      await services!.rbac.assignClientRoles(ref, machineId, ['late-user']);
      let token = '';
      await eventually(async () => {
        try {
          token = (await oidc.clientCredentialsGrant(machine, { resource: late })).access_token;
          return true;
        } catch (error) {
          if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_target') return false;
          throw error;
        }
      }, 'the new API');
      const claims = await verify(token, late);
      assert.deepEqual(claims.roles, ['late-user', 'manager']);
      assert.deepEqual(claims.permissions, ['use:late']);

      await services!.rbac.deleteApi(ref, api.id);
      await eventually(async () => {
        try {
          await oidc.clientCredentialsGrant(machine, { resource: late });
          return false;
        } catch (error) {
          if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_target') return true;
          throw error;
        }
      }, 'the API deleted');
      assert.deepEqual((await verify((await oidc.clientCredentialsGrant(machine, { resource: orders })).access_token, orders)).roles, ['late-user', 'manager'],
        'the role stays, without permissions on the deleted API');
    });
  });
});

describe('RBAC claim names per tenant', () => {
  let services: Services | undefined;
  after(async () => { await services?.close(); });
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  const api = 'https://shop.example.com';

  before(async () => {
    tenant = await createTenant(server);
    services = await openServices(server);
    const ref = await tenantRef(services, tenant.slug);
    await services.rbac.createApi(ref, { identifier: api, name: 'Shop', permissions: [{ name: 'sell' }] });
    await services.rbac.createRole(ref, { name: 'seller', permissions: [{ api, name: 'sell' }] });
  });

  it('puts roles and permissions under the names the tenant chose', async () => {
    const ref = await tenantRef(services!, tenant.slug);
    const user = await createUser(server, tenant.slug);
    await services!.rbac.assignUserRoles(ref, user.id, ['seller']);
    const client = await createClient(server, tenant.slug);
    const web = await discover(tenant.issuer, client.client_id, client.client_secret!);

    const settings = { rbac: { rolesClaim: 'https://x/roles', permissionsClaim: 'https://x/permissions' } };
    const shown = await cliJson<{ rbac: unknown }>(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify(settings)]);
    assert.deepEqual(shown.rbac, settings.rbac);
    await eventually(async () => {
      const metadata = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as { claims_supported: string[] };
      return metadata.claims_supported.includes('https://x/roles');
    }, 'the new claim name in discovery');

    const tokens = await signInForResources(web, user, { resources: [api], tokenResource: api, scope: 'openid roles' });
    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: tenant.issuer, audience: api, typ: 'at+jwt' });
    assert.deepEqual(payload['https://x/roles'], ['seller']);
    assert.deepEqual(payload['https://x/permissions'], ['sell']);
    assert.equal(payload.roles, undefined);
    assert.equal(payload.permissions, undefined);
    assert.deepEqual(tokens.claims()!['https://x/roles'], ['seller'], 'the id_token uses the name too');
    assert.equal(tokens.claims()!.roles, undefined);
  });

  it('refuses names a JWT already defines, malformed names and one name for both, saying why', async () => {
    const cases: [object, RegExp][] = [
      [{ rolesClaim: 'sub' }, /rbac\.rolesClaim: that claim is defined by the JWT and OpenID specifications/],
      [{ rolesClaim: 'given_name' }, /rbac\.rolesClaim: that claim is defined by the JWT and OpenID specifications/],
      [{ permissionsClaim: 'authorization_details' }, /rbac\.permissionsClaim: that claim is defined/],
      [{ permissionsClaim: 'has space' }, /rbac\.permissionsClaim: a claim name is 1–100 letters/],
      [{ rolesClaim: 'same', permissionsClaim: 'same' }, /rolesClaim and permissionsClaim must differ/],
      [{ rolesClaim: 42 }, /rbac\.rolesClaim/],
      [{ colour: 'blue' }, /rbac/],
    ];
    for (const [rbac, message] of cases) {
      const result = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ rbac })]);
      assert.notEqual(result.code, 0, `${JSON.stringify(rbac)} refused`);
      assert.match(result.stderr, message, `${JSON.stringify(rbac)}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
  });
});
