// A resource server checking Tessera's access tokens (issue #6): the Koa guard mounted in a small app of the
// test's own, over real HTTP, and the tenant's POST /permissions/check. Both accept a good token, refuse a bad,
// expired, foreign or other-audience one, and tell a token that lacks a permission apart (RFC 6750 §3).
// Tokens a real server would never issue (expired, DPoP-bound) are signed with the tenant's own key.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import Router from '@koa/router';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { eventually, openServices, signInForResources, tenantRef } from '../support/rbac-setup.js';
import { requirePermissions, resourceServer } from '../../src/rbac/resource-server-guard.js';
import type { Services } from '../../src/services.js';

const orders = 'https://orders.example.com';
const billing = 'https://billing.example.com';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('resource servers', () => {
  let services: Services | undefined;
  const servers: Server[] = [];
  after(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await services?.close();
  });
  const tessera = useTessera();
  let tenant: { slug: string; issuer: string };
  let ref: { id: string; slug: string };
  let reader: oidc.Configuration;
  let nobody: oidc.Configuration;
  let readerId: string;
  let foreign: oidc.Configuration;
  let web: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;
  let api: string;

  const machine = async (slug: string, issuer: string, roles: string[]) => {
    const client = await cliJson<{ client_id: string; client_secret: string }>(tessera, ['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials']);
    if (roles.length) await services!.rbac.assignClientRoles(await tenantRef(services!, slug), client.client_id, roles);
    return { id: client.client_id, config: await discover(issuer, client.client_id, client.client_secret) };
  };
  const tokenFor = async (config: oidc.Configuration, resource = orders) => (await oidc.clientCredentialsGrant(config, { resource })).access_token;

  /** a token signed with the tenant's own active key: valid in every respect but those `claims` change */
  async function forged(claims: jose.JWTPayload, header: Partial<jose.JWTHeaderParameters> = {}): Promise<string> {
    const { jwks } = await services!.keys.loadJwks(ref.id);
    const jwk = jwks.keys.find((k) => k.alg === 'RS256' && !k.key_ops)!;
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: tenant.issuer, aud: orders, iat: now, exp: now + 300, sub: readerId, client_id: readerId, jti: 'forged', permissions: ['read:orders'], roles: ['reader'], ...claims };
    return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'at+jwt', ...header }).sign(await jose.importJWK(jwk, 'RS256'));
  }

  before(async () => {
    tenant = await createTenant(tessera);
    services = await openServices(tessera);
    ref = await tenantRef(services, tenant.slug);
    await services.rbac.createApi(ref, { identifier: orders, name: 'Orders', permissions: [{ name: 'read:orders' }, { name: 'write:orders' }] });
    await services.rbac.createApi(ref, { identifier: billing, name: 'Billing', permissions: [{ name: 'read:orders' }] });
    await services.rbac.createRole(ref, { name: 'reader', permissions: [{ api: orders, name: 'read:orders' }, { api: billing, name: 'read:orders' }] });
    // another tenant registers the same API identifier and role: its tokens must still be refused
    const other = await createTenant(tessera);
    const otherRef = await tenantRef(services, other.slug);
    await services.rbac.createApi(otherRef, { identifier: orders, name: 'Orders', permissions: [{ name: 'read:orders' }] });
    await services.rbac.createRole(otherRef, { name: 'reader', permissions: [{ api: orders, name: 'read:orders' }] });

    const [readerClient, nobodyClient, foreignClient, webClient] = await Promise.all([
      machine(tenant.slug, tenant.issuer, ['reader']), machine(tenant.slug, tenant.issuer, []),
      machine(other.slug, other.issuer, ['reader']), createClient(tessera, tenant.slug),
    ]);
    [reader, nobody, foreign] = [readerClient.config, nobodyClient.config, foreignClient.config];
    readerId = readerClient.id;
    web = await discover(tenant.issuer, webClient.client_id, webClient.client_secret!);
    user = await createUser(tessera, tenant.slug);
    await services.rbac.assignUserRoles(ref, user.id, ['reader']);

    const guard = resourceServer({ issuer: tenant.issuer, audience: orders });
    const router = new Router();
    router.get('/orders', guard.requirePermissions('read:orders'), (ctx) => { ctx.body = { sub: ctx.state.auth!.sub, permissions: ctx.state.auth!.permissions }; });
    router.post('/orders', guard.requirePermissions('read:orders', 'write:orders'), (ctx) => { ctx.body = { written: true }; });
    const app = new Koa();
    app.use(router.routes());
    const started = await listen(app.callback());
    servers.push(started.server);
    api = started.url;
  });

  const call = (token: string | null, init: RequestInit = {}, path = '/orders') =>
    fetch(`${api}${path}`, { ...init, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  async function refused(response: Response, status: number, error: string | null) {
    assert.equal(response.status, status, await response.clone().text());
    const challenge = response.headers.get('www-authenticate') ?? '';
    if (error) assert.match(challenge, new RegExp(`^Bearer .*error="${error}"`));
    else assert.equal(challenge, 'Bearer', 'RFC 6750 §3.1: no error code without credentials');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as { error: string; message: string };
    assert.equal(body.error, error ?? 'invalid_token');
    assert.equal(typeof body.message, 'string');
    return { challenge, body };
  }

  describe('the Koa guard', () => {
    it('lets a token holding the permission through, with its claims in ctx.state.auth', async () => {
      const response = await call(await tokenFor(reader));
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { sub: readerId, permissions: ['read:orders'] });
    });

    it('lets a user\'s token from the code flow through', async () => {
      const tokens = await signInForResources(web, user, { resources: [orders], tokenResource: orders, scope: 'openid' });
      const response = await call(tokens.access_token);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { sub: user.id, permissions: ['read:orders'] });
    });

    it('answers 401 without a bearer token, and no error code (RFC 6750 §3.1)', async () => {
      await refused(await call(null), 401, null);
      await refused(await fetch(`${api}/orders`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, null);
    });

    it('answers 401 invalid_token to a malformed, expired, other-audience, foreign or mis-signed token', async () => {
      const stranger = await jose.generateKeyPair('RS256');
      const { jwks } = await services!.keys.loadJwks(ref.id);
      const bad: [string, string][] = [
        ['not-a-jwt', 'malformed'],
        ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'alg none'],
        [await forged({ exp: Math.floor(Date.now() / 1000) - 60 }), 'expired'],
        [await tokenFor(reader, billing), 'for another API'],
        [await tokenFor(foreign), 'from another tenant for the same API identifier'],
        [await new jose.SignJWT({ sub: readerId, client_id: readerId, permissions: ['read:orders'] })
          .setProtectedHeader({ alg: 'RS256', kid: jwks.keys[0]!.kid, typ: 'at+jwt' }).setIssuer(tenant.issuer).setAudience(orders).setExpirationTime('5m')
          .sign(stranger.privateKey), 'signed by a stranger under the tenant\'s kid'],
        [await forged({}, { typ: 'JWT' }), 'not typed at+jwt'],
        [await forged({ cnf: { jkt: 'bound-to-a-dpop-key' } }), 'DPoP-bound'],
        [await forged({ sub: undefined }), 'without sub'],
      ];
      for (const [token, what] of bad) {
        const { challenge } = await refused(await call(token), 401, 'invalid_token');
        if (what === 'expired') assert.match(challenge, /error_description="the access token expired"/);
      }
    });

    it('answers 401 to an id_token (RFC 9068 §4: typ at+jwt)', async () => {
      const tokens = await signInForResources(web, user, { resources: [], scope: 'openid' });
      await refused(await call(tokens.id_token!), 401, 'invalid_token');
    });

    it('answers 403 insufficient_scope, naming the scope, to a token that lacks a permission', async () => {
      const { challenge } = await refused(await call(await tokenFor(reader), { method: 'POST' }), 403, 'insufficient_scope');
      assert.match(challenge, /scope="read:orders write:orders"/);
      await refused(await call(await tokenFor(nobody)), 403, 'insufficient_scope');
    });

    it('reads permissions from the claim the tenant named', async () => {
      const named = await listen(new Koa().use(requirePermissions({ issuer: tenant.issuer, audience: orders, permissionsClaim: 'https://x/perms' }, 'read:orders')).use((ctx) => { ctx.body = 'ok'; }).callback());
      servers.push(named.server);
      const token = await forged({ permissions: undefined, 'https://x/perms': ['read:orders'] });
      assert.equal((await fetch(named.url, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await fetch(named.url, { headers: { authorization: `Bearer ${await tokenFor(reader)}` } })).status, 403, 'the default claim is not read');
    });

    it('fetches the JWKS once and then checks tokens without calling Tessera', async () => {
      let fetches = 0;
      const keys = await listen(async (req, res) => {
        fetches += 1;
        const upstream = await fetch(`${tenant.issuer}/jwks`);
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      });
      servers.push(keys.server);
      const guarded = await listen(new Koa().use(requirePermissions({ issuer: tenant.issuer, audience: orders, jwksUri: `${keys.url}/jwks` }, 'read:orders')).use((ctx) => { ctx.body = 'ok'; }).callback());
      servers.push(guarded.server);
      const token = await tokenFor(reader);
      for (let i = 0; i < 5; i++) assert.equal((await fetch(guarded.url, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal(fetches, 1);
    });

    it('answers 503 when the issuer cannot be reached, not 401', async () => {
      const down = await listen((_req, res) => { res.writeHead(500).end(); });
      servers.push(down.server);
      const guarded = await listen(new Koa().use(requirePermissions({ issuer: `${down.url}/t/x`, audience: orders }, 'read:orders')).callback());
      servers.push(guarded.server);
      const response = await fetch(guarded.url, { headers: { authorization: `Bearer ${await tokenFor(reader)}` } });
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { error: string }).error, 'temporarily_unavailable');
    });
  });

  describe('POST /t/{slug}/permissions/check', () => {
    const check = (body: unknown, slug = tenant.slug, type = 'application/json') =>
      fetch(`${tessera.issuer(slug)}/permissions/check`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

    it('answers the token\'s subject, roles and permissions, and which wanted permissions it lacks', async () => {
      const token = await tokenFor(reader);
      const response = await check({ token, audience: orders, permissions: ['read:orders', 'write:orders'] });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.active, true);
      assert.equal(body.sub, readerId);
      assert.equal(body.client_id, readerId);
      assert.deepEqual(body.roles, ['reader']);
      assert.deepEqual(body.permissions, ['read:orders']);
      assert.deepEqual(body.missing, ['write:orders']);

      assert.deepEqual(((await (await check({ token, audience: orders, permissions: ['read:orders'] })).json()) as { missing: string[] }).missing, []);
      assert.deepEqual(((await (await check({ token, audience: orders })).json()) as { missing: string[] }).missing, [], 'no permissions asked, none missing');
    });

    it('takes a form too, permissions space-delimited', async () => {
      const form = new URLSearchParams({ token: await tokenFor(reader), audience: orders, permissions: 'read:orders write:orders' });
      const body = (await (await check(form.toString(), tenant.slug, 'application/x-www-form-urlencoded')).json()) as Record<string, unknown>;
      assert.equal(body.active, true);
      assert.deepEqual(body.missing, ['write:orders']);
    });

    it('answers {active: false} to a bad, expired, other-audience, foreign, DPoP-bound token or an id_token', async () => {
      const idToken = (await signInForResources(web, user, { resources: [], scope: 'openid' })).id_token!;
      const bad = [
        'not-a-jwt', await forged({ exp: Math.floor(Date.now() / 1000) - 60 }), await tokenFor(reader, billing),
        await tokenFor(foreign), await forged({ cnf: { jkt: 'x' } }), idToken,
        'a.b.c', `${b64({ alg: 'RS256', kid: { $ne: '' } })}.${b64({})}.c2ln`, `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64({ sub: 'x' })}.c2ln`,
        `${b64({ alg: 'RS256', crit: ['exp'], exp: 1 })}.${b64({})}.c2ln`, `eyJ${'A'.repeat(10_000)}`,
      ];
      for (const token of bad) {
        const response = await check({ token, audience: orders, permissions: ['read:orders'] });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { active: false });
      }
      assert.ok(!bad.some((token) => token.length > 20 && tessera.output().includes(token)), 'no token in the server\'s output');
    });

    it('follows key rotation: a token signed with the new key checks', async () => {
      const rotated = await cliJson<{ kid: string }>(tessera, ['keys', 'rotate', '--tenant', tenant.slug, '--pre-publish', '0']);
      let token = '';
      await eventually(async () => {
        token = await tokenFor(reader);
        return jose.decodeProtectedHeader(token).kid === rotated.kid;
      }, 'tokens signed with the new key');
      assert.equal(((await (await check({ token, audience: orders })).json()) as { active: boolean }).active, true);
    });

    it('answers bad input with {error, message} 400, an unknown tenant with 404 and GET with 405, never 500', async () => {
      const token = await tokenFor(reader);
      const invalid: [unknown, string?][] = [
        [{ audience: orders }], [{ token: '', audience: orders }], [{ token, audience: 'not a uri' }], [{ token }],
        [{ token, audience: orders, permissions: 42 }], [{ token, audience: orders, permissions: ['has"quote'] }],
        [{ token: 7, audience: orders }], [[token]], ['{"token":', 'application/json'], ['null'],
      ];
      for (const [body, type] of invalid) {
        const response = await check(body, tenant.slug, type);
        assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.status}`);
        const answer = (await response.json()) as { error: string; message: string };
        assert.equal(answer.error, 'request.invalid');
        assert.equal(typeof answer.message, 'string');
      }
      const plain = await check(JSON.stringify({ token, audience: orders }), tenant.slug, 'text/plain');
      assert.equal(plain.status, 400, 'a body of another type is not read');
      const huge = await check({ token: 'x'.repeat(40_000), audience: orders });
      assert.equal(huge.status, 413);
      assert.equal(((await huge.json()) as { error: string }).error, 'request.too_large');
      const unknown = await check({ token, audience: orders }, 'no-such-tenant');
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: string }).error, 'tenant.not_found');
      const get = await fetch(`${tessera.issuer(tenant.slug)}/permissions/check`, { headers: { accept: 'application/json' } });
      assert.equal(get.status, 405);
    });
  });
});
