// Machine-to-machine tokens (RFC 6749 §4.4): a confidential client gets an RFC 9068 JWT access token for the
// tenant's default API that a resource server verifies offline against the tenant's JWKS — and nothing else.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { request as httpRequest } from 'node:http';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';

interface MachineClient { client: { client_id: string; client_secret: string; grant_types: string[] }; config: oidc.Configuration }

describe('client_credentials', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  // Clients are only read by the tests (tokens issued to them change nothing), so they are made once, together.
  let plain: MachineClient;
  let orders: MachineClient;
  let admin: MachineClient;

  /** a machine client made the way an operator would: no redirect URIs, only the client_credentials grant */
  async function machineClient(extra: string[] = []): Promise<MachineClient> {
    const client = await cliJson<{ client_id: string; client_secret: string; grant_types: string[] }>(server, [
      'client', 'create', '--tenant', tenant.slug, '--name', 'Billing worker', '--grant', 'client_credentials', ...extra,
    ]);
    return { client, config: await discover(tenant.issuer, client.client_id, client.client_secret) };
  }

  before(async () => {
    tenant = await createTenant(server);
    jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    [plain, orders, admin] = await Promise.all([machineClient(), machineClient(['--scope', 'read:orders write:orders']), machineClient(['--scope', 'admin:all'])]);
  });

  it('issues an RFC 9068 JWT access token for the default resource, verified against the tenant JWKS', async () => {
    const { client, config } = plain;
    assert.deepEqual(client.grant_types, ['client_credentials']);
    const before = Math.floor(Date.now() / 1000);
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(typeof tokens.expires_in === 'number' && tokens.expires_in > 0);

    const header = jose.decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt', 'RFC 9068 §2.1');
    assert.equal(header.alg, 'RS256');
    assert.equal(typeof header.kid, 'string');

    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, {
      issuer: tenant.issuer,
      audience: `${tenant.issuer}/api`,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    assert.equal(payload.iss, tenant.issuer);
    assert.equal(payload.aud, `${tenant.issuer}/api`);
    assert.equal(payload.client_id, client.client_id);
    assert.equal(payload.sub, client.client_id, 'RFC 9068 §2.2: sub is the client when no user is involved');
    assert.equal(typeof payload.jti, 'string');
    assert.ok(payload.iat! >= before - 5 && payload.iat! <= Date.now() / 1000 + 5, 'iat is now');
    assert.equal(payload.exp, payload.iat! + tokens.expires_in!);
  });

  it('returns no refresh token and no id_token', async () => {
    const { config } = plain;
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
    assert.deepEqual(Object.keys(tokens).filter((k) => typeof (tokens as Record<string, unknown>)[k] !== 'function').sort(), ['access_token', 'expires_in', 'token_type'].concat(tokens.scope === undefined ? [] : ['scope']).sort());
  });

  it('grants the API scopes registered with --scope and no others (RFC 6749 §3.3)', async () => {
    const { config } = orders;
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'read:orders' });
    assert.equal(tokens.scope, 'read:orders');
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api`, typ: 'at+jwt' });
    assert.equal(payload.scope, 'read:orders');

    const both = await oidc.clientCredentialsGrant(config, { scope: 'read:orders write:orders' });
    const { payload: bothPayload } = await jose.jwtVerify(both.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
    assert.deepEqual(String(bothPayload.scope).split(' ').sort(), ['read:orders', 'write:orders']);

    // RFC 6749 §3.3: the server may grant less than asked and then names what it granted
    const narrowed = await oidc.clientCredentialsGrant(config, { scope: 'read:orders delete:orders' });
    assert.equal(narrowed.scope, 'read:orders');
    const { payload: narrowedPayload } = await jose.jwtVerify(narrowed.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
    assert.equal(narrowedPayload.scope, 'read:orders');

    const unregistered = await oidc.clientCredentialsGrant(config, { scope: 'delete:orders' });
    const { payload: unregisteredPayload } = await jose.jwtVerify(unregistered.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
    assert.equal(unregisteredPayload.scope, undefined, 'an unregistered scope is not granted');
  });

  it("does not grant one client's API scopes to another", async () => {
    const tokens = await oidc.clientCredentialsGrant(orders.config, { scope: 'admin:all read:orders' });
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
    assert.equal(payload.scope, 'read:orders');
    const theirs = await oidc.clientCredentialsGrant(admin.config, { scope: 'admin:all read:orders' });
    assert.equal(theirs.scope, 'admin:all');
  });

  it('refuses a malformed --scope at the CLI', async () => {
    const result = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'Bad', '--grant', 'client_credentials', '--scope', 'read:"orders"']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim(), '');
    assert.match(result.stderr, /scope/);
  });

  it('refuses a resource other than the tenant API with invalid_target (RFC 8707 §2)', async () => {
    const { config } = plain;
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(config, { resource: 'https://elsewhere.example/api' })), { error: 'invalid_target', status: 400 });
  });

  it('gives a token for the API that the userinfo endpoint does not accept', async () => {
    const { config } = plain;
    const tokens = await oidc.clientCredentialsGrant(config);
    const response = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('refuses a public client with client_credentials at the CLI', async () => {
    const result = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'SPA', '--public', '--grant', 'client_credentials']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim(), '', 'no client printed');
    assert.match(result.stderr, /client_credentials/);
  });

  it('answers a client without the grant with unauthorized_client', async () => {
    const client = await createClient(server, tenant.slug);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(config)), { error: 'unauthorized_client', status: 400 });
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const { client } = plain;
    const impostor = await discover(tenant.issuer, client.client_id, 'not-the-secret', oidc.ClientSecretPost('not-the-secret'));
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(impostor)), { error: 'invalid_client', status: 401 });
  });

  it('serves a request whose target is in absolute form, as a forward proxy sends it (RFC 9112 §3.2.2)', async () => {
    const { client } = plain;
    const target = new URL(`${tenant.issuer}/token`);
    const body = 'grant_type=client_credentials';
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest({
        host: target.hostname, port: target.port, method: 'POST', path: target.href,
        headers: {
          host: target.host, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length),
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
        },
      }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => resolve({ status: response.statusCode!, body: text }));
      });
      request.on('error', reject);
      request.end(body);
    });
    assert.equal(answer.status, 200, answer.body);
    const { payload } = await jose.jwtVerify((JSON.parse(answer.body) as { access_token: string }).access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
    assert.equal(payload.client_id, client.client_id);
  });
});
