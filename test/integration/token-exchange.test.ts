// Token exchange (RFC 8693) as services using openid-client meet it: the orders service holds a user's token for
// its API and exchanges it for one to the inventory API, acting for the user (delegation, `act`), never with more
// scope than the user's token had; a chain nests `act`; a client the tenant names may impersonate instead.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, codeFlow, discover, oidc, refusal, signIn } from '../support/relying-party.js';
import { Browser } from '../support/browser.js';

const exchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
const orders = 'https://orders.example.com';
const inventory = 'https://inventory.example.com';

describe('token exchange', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  let userId: string;
  let userToken: string;
  let webConfig: oidc.Configuration;
  let user: { email: string; password: string; id: string };
  let ordersService: { id: string; config: oidc.Configuration };
  let inventoryService: { id: string; config: oidc.Configuration };

  const service = async (scope: string) => {
    const client = await cliJson<{ client_id: string; client_secret: string }>(server, [
      'client', 'create', '--tenant', tenant.slug, '--name', 'Service', '--grant', exchangeGrant, '--grant', 'client_credentials', '--scope', scope,
    ]);
    return { id: client.client_id, config: await discover(tenant.issuer, client.client_id, client.client_secret) };
  };
  const exchange = (config: oidc.Configuration, params: Record<string, string>) =>
    oidc.genericGrantRequest(config, exchangeGrant, { subject_token_type: accessTokenType, ...params });
  const verify = async (token: string, audience: string) => (await jose.jwtVerify(token, jwks, { issuer: tenant.issuer, audience, typ: 'at+jwt' })).payload;

  before(async () => {
    tenant = await createTenant(server);
    jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ grants: { tokenExchange: { enabled: true } } })]);
    await cliJson(server, ['api', 'create', '--tenant', tenant.slug, '--identifier', orders, '--name', 'Orders', '--permission', 'read:orders']);
    await cliJson(server, ['api', 'create', '--tenant', tenant.slug, '--identifier', inventory, '--name', 'Inventory', '--permission', 'read:orders', '--permission', 'write:stock']);
    const web = await createClient(server, tenant.slug, ['--scope', 'openid email read:orders']);
    user = await createUser(server, tenant.slug);
    userId = user.id;
    // the user's RFC 9068 token for the orders API, as the web app calls it
    webConfig = await discover(tenant.issuer, web.client_id, web.client_secret!);
    const request = await authorizationRequest(webConfig, redirectUri, { scope: 'openid read:orders', resource: orders });
    const callback = await signIn(new Browser(), request.url, redirectUri, user);
    const tokens = await oidc.authorizationCodeGrant(webConfig, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: orders });
    userToken = tokens.access_token;
    assert.equal((await verify(userToken, orders)).scope, 'read:orders');
    [ordersService, inventoryService] = await Promise.all([service('read:orders write:stock'), service('read:orders')]);
  });

  it('is off by default', async () => {
    const other = await createTenant(server);
    const metadata = (await (await fetch(`${other.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    assert.ok(!metadata.grant_types_supported.includes(exchangeGrant));
    const refused = await server.cli(['client', 'create', '--tenant', other.slug, '--name', 'S', '--grant', exchangeGrant]);
    assert.notEqual(refused.code, 0);
  });

  it('delegates: a token for another API, for the same user, with act naming the service and no more scope', async () => {
    const tokens = await exchange(ordersService.config, { subject_token: userToken, resource: inventory });
    assert.equal(tokens.issued_token_type, accessTokenType);
    const payload = await verify(tokens.access_token, inventory);
    assert.equal(payload.sub, userId);
    assert.deepEqual(payload.act, { sub: ordersService.id });
    assert.equal(payload.scope, 'read:orders', 'write:stock was not in the user\'s token');
    assert.equal(payload.client_id, ordersService.id);

    const introspected = await oidc.tokenIntrospection(ordersService.config, tokens.access_token);
    assert.equal(introspected.active, true);
  });

  it('takes an opaque (userinfo) access token as subject too; it carries no API scope to pass on', async () => {
    const { tokens } = await codeFlow(webConfig, redirectUri, user, { params: { scope: 'openid' } });
    assert.equal(tokens.access_token.split('.').length, 1, 'opaque');
    const payload = await verify((await exchange(ordersService.config, { subject_token: tokens.access_token, resource: inventory })).access_token, inventory);
    assert.equal(payload.sub, userId);
    assert.deepEqual(payload.act, { sub: ordersService.id });
    assert.equal(payload.scope, undefined);
  });

  it('refuses more scope than the subject token had', async () => {
    assert.deepEqual(await refusal(exchange(ordersService.config, { subject_token: userToken, resource: inventory, scope: 'write:stock' })), { error: 'invalid_scope', status: 400 });
  });

  it('nests act along a chain of services', async () => {
    const first = await exchange(ordersService.config, { subject_token: userToken, resource: inventory });
    const second = await exchange(inventoryService.config, { subject_token: first.access_token, resource: orders });
    const payload = await verify(second.access_token, orders);
    assert.equal(payload.sub, userId);
    assert.deepEqual(payload.act, { sub: inventoryService.id, act: { sub: ordersService.id } });
  });

  it('refuses tokens that are not a user\'s access token of this tenant', async () => {
    const machine = await oidc.clientCredentialsGrant(ordersService.config, { resource: inventory });
    for (const subject of [machine.access_token, 'not-a-token', `${userToken.slice(0, -4)}AAAA`]) {
      assert.deepEqual(await refusal(exchange(ordersService.config, { subject_token: subject, resource: inventory })), { error: 'invalid_grant', status: 400 });
    }
    assert.deepEqual(await refusal(oidc.genericGrantRequest(ordersService.config, exchangeGrant, { subject_token: userToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })), { error: 'invalid_request', status: 400 });
    assert.deepEqual(await refusal(exchange(ordersService.config, { subject_token: userToken, resource: 'https://unknown.example.com' })), { error: 'invalid_target', status: 400 });
  });

  it('lets only a client the tenant names impersonate, and audits every exchange', async () => {
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ grants: { tokenExchange: { enabled: true, impersonators: [ordersService.id] } } })]);
    const impersonated = await verify((await exchange(ordersService.config, { subject_token: userToken, resource: inventory })).access_token, inventory);
    assert.equal(impersonated.sub, userId);
    assert.equal(impersonated.act, undefined);
    const delegated = await verify((await exchange(inventoryService.config, { subject_token: userToken, resource: inventory })).access_token, inventory);
    assert.deepEqual(delegated.act, { sub: inventoryService.id }, 'another client still only delegates');

    const result = await server.cli(['audit', 'export', '--tenant', tenant.slug]);
    const entries = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; subject: string | null; data: Record<string, unknown> });
    const exchanges = entries.filter((e) => e.type === 'token.exchanged');
    assert.ok(exchanges.some((e) => e.data.mode === 'impersonation' && e.subject === userId && e.data.resource === inventory));
    assert.ok(exchanges.some((e) => e.data.mode === 'delegation'));
    assert.ok(!result.stdout.includes(userToken), 'no token in the log');
  });
});
