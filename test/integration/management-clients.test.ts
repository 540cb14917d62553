// Management API, clients: secrets shown once, rotation that ends the old secret, roles in client_credentials
// tokens, and a deleted operator client whose token stops working at once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { createTenant } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';
import { allPages, auditEntries, call, client, operator, type ApiClient, type Operator } from '../support/management.js';

describe('Management API: clients', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let tenant: { slug: string; issuer: string };
  let other: string;

  before(async () => {
    tenant = await createTenant(server);
    other = (await createTenant(server)).slug;
    owner = await operator(server, ['clients:read', 'clients:write', 'audit:read', 'operators:write']);
    api = client(server, owner.token);
  });

  const machine = async (extra: Record<string, unknown> = {}) => {
    const answer = await api.post(`/tenants/${tenant.slug}/clients`, { client_name: 'Billing worker', grant_types: ['client_credentials'], ...extra });
    assert.equal(answer.status, 201, answer.text);
    return answer.body as { client_id: string; client_secret: string };
  };

  it('needs a token, the clients scopes and a tenant of the operator\'s', async () => {
    assert.equal((await call(server, 'GET', `/tenants/${tenant.slug}/clients`)).status, 401);
    const reader = client(server, (await operator(server, ['clients:read'], ['--operator-tenant', tenant.slug])).token);
    assert.equal((await reader.get(`/tenants/${tenant.slug}/clients`)).status, 200);
    const write = await reader.post(`/tenants/${tenant.slug}/clients`, { client_name: 'x' });
    assert.equal(write.status, 403);
    assert.equal(write.body.error, 'auth.insufficient_scope');
    assert.equal((await reader.get(`/tenants/${other}/clients`)).body.error, 'tenant.forbidden');
  });

  it('shows the secret once, rotates it (the old one dies) and deletes the client, auditing each write', async () => {
    const created = await machine({ scope: 'read:orders' });
    assert.equal(typeof created.client_secret, 'string');
    const read = await api.get(`/tenants/${tenant.slug}/clients/${created.client_id}`);
    assert.equal(read.body.has_secret, true);
    assert.ok(!read.text.includes(created.client_secret), 'never shown again');
    const listed = await allPages(api, `/tenants/${tenant.slug}/clients`);
    assert.ok(listed.some((c) => c.client_id === created.client_id));
    assert.ok(!JSON.stringify(listed).includes(created.client_secret));

    const oldConfig = await discover(tenant.issuer, created.client_id, created.client_secret);
    assert.ok((await oidc.clientCredentialsGrant(oldConfig)).access_token);
    const rotated = await api.post(`/tenants/${tenant.slug}/clients/${created.client_id}/secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.client_secret, created.client_secret);
    assert.equal((await refusal(oidc.clientCredentialsGrant(oldConfig))).error, 'invalid_client');
    const newConfig = await discover(tenant.issuer, created.client_id, rotated.body.client_secret);
    assert.ok((await oidc.clientCredentialsGrant(newConfig)).access_token);

    const renamed = await api.patch(`/tenants/${tenant.slug}/clients/${created.client_id}`, { client_name: 'Invoicing worker' });
    assert.equal(renamed.body.client_name, 'Invoicing worker');

    assert.equal((await api.delete(`/tenants/${tenant.slug}/clients/${created.client_id}`)).status, 204);
    assert.equal((await api.get(`/tenants/${tenant.slug}/clients/${created.client_id}`)).status, 404);
    assert.equal((await refusal(oidc.clientCredentialsGrant(newConfig))).error, 'invalid_client');

    for (const type of ['admin.client_created', 'admin.client_secret_rotated', 'admin.client_updated', 'admin.client_deleted']) {
      const [entry] = await auditEntries(api, tenant.slug, type);
      assert.deepEqual([entry?.actor, entry?.clientId], [`client:${owner.clientId}`, created.client_id], type);
    }
    const exported = await api.get(`/tenants/${tenant.slug}/audit/export`);
    assert.ok(!exported.text.includes(rotated.body.client_secret) && !exported.text.includes(created.client_secret), 'no secret in the log');
  });

  it('registers an app of the backend OTP API (POST /tenants/{slug}/apps): its credentials sign in at /auth/…; a taken slug is app.slug_taken', async () => {
    await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } } })]);
    const answer = await api.post(`/tenants/${tenant.slug}/apps`, { name: 'Attendance', slug: 'attendance-api' });
    assert.equal(answer.status, 201, answer.text);
    const app = answer.body as { app_id: string; app_secret: string; app_slug: string; jwt_public_key: string; jwks_uri: string };
    assert.deepEqual(Object.keys(app).sort(), ['app_id', 'app_secret', 'app_slug', 'jwks_uri', 'jwt_public_key']);
    assert.deepEqual([app.app_slug, app.jwks_uri], ['attendance-api', `${tenant.issuer}/jwks`]);
    assert.match(app.jwt_public_key, /^-----BEGIN PUBLIC KEY-----\n/);
    // the app's credentials work at the backend OTP API, and the secret is never shown again
    const sent = await fetch(`${server.url}/auth/send-otp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, email: 'api-app@example.com' }) });
    assert.equal(sent.status, 200, await sent.clone().text());
    const read = await api.get(`/tenants/${tenant.slug}/clients/${app.app_id}`);
    assert.equal(read.status, 200);
    assert.ok(!read.text.includes(app.app_secret));
    const [entry] = await auditEntries(api, tenant.slug, 'admin.client_created');
    assert.deepEqual([entry?.actor, entry?.clientId], [`client:${owner.clientId}`, app.app_id]);

    const taken = await api.post(`/tenants/${tenant.slug}/apps`, { name: 'Another', slug: 'attendance-api' });
    assert.deepEqual([taken.status, taken.body.error], [409, 'app.slug_taken']);
    assert.ok(taken.body.message);
    const reserved = await api.post(`/tenants/${tenant.slug}/apps`, { name: 'Built-in', slug: 'tessera-rest' });
    assert.deepEqual([reserved.status, reserved.body.error], [400, 'app.slug_reserved']);
    // another tenant may use the slug: apps are per tenant
    assert.equal((await api.post(`/tenants/${other}/apps`, { name: 'Attendance', slug: 'attendance-api' })).status, 201);
  });

  it('puts a client\'s roles into its client_credentials tokens', async () => {
    const created = await machine();
    const assigned = await api.post(`/tenants/${tenant.slug}/clients/${created.client_id}/roles`, { roles: ['viewer'] });
    assert.deepEqual(assigned.body.roles, ['viewer']);
    const config = await discover(tenant.issuer, created.client_id, created.client_secret);
    assert.deepEqual(jose.decodeJwt((await oidc.clientCredentialsGrant(config)).access_token).roles, ['viewer']);
    assert.deepEqual((await api.delete(`/tenants/${tenant.slug}/clients/${created.client_id}/roles/viewer`)).body.roles, []);
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/clients/${created.client_id}/roles`)).body.roles, []);
  });

  it('ends a deleted operator client\'s access at once, token unexpired', async () => {
    const doomed = await operator(server, ['clients:read']);
    const own = client(server, doomed.token);
    assert.equal((await own.get(`/tenants/${tenant.slug}/clients`)).status, 200);
    assert.equal((await api.delete(`/tenants/system/clients/${doomed.clientId}`)).status, 204);
    const answer = await own.get(`/tenants/${tenant.slug}/clients`);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'auth.invalid_token');
  });

  it('needs operators:write to create operator clients, so no operator can raise its own scopes', async () => {
    const admin = client(server, (await operator(server, ['clients:read', 'clients:write'])).token);
    const answer = await admin.post('/tenants/system/clients', { client_name: 'escalation', grant_types: ['client_credentials'], scope: 'operators:write' });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error, 'auth.insufficient_scope');
    const limited = await api.post('/tenants/system/clients', { client_name: 'acme ops', grant_types: ['client_credentials'], scope: 'users:read', operator_tenants: [tenant.slug] });
    assert.equal(limited.status, 201, limited.text);
    assert.deepEqual(limited.body.operator_tenants, [tenant.slug]);
  });

  it('refuses bad input with {error, message}', async () => {
    const cases: Array<[Promise<{ status: number; body: { error: string; message: string } }>, number, string, RegExp?]> = [
      [api.post(`/tenants/${tenant.slug}/clients`, {}), 400, 'request.invalid', /client_name/],
      [api.post(`/tenants/${tenant.slug}/clients`, { client_name: 'x', grant_types: ['password'], colour: 1 }), 400, 'request.invalid', /grant_types.*colour|colour.*grant_types/s],
      [api.post(`/tenants/${tenant.slug}/clients`, { client_name: 'x', redirect_uris: ['not a uri'] }), 400, 'client.invalid_metadata'],
      [api.post(`/tenants/${tenant.slug}/clients`, { client_name: 'x', public: true, grant_types: ['client_credentials'] }), 400, 'client.invalid_metadata'],
      [api.patch(`/tenants/${tenant.slug}/clients/nope`, { client_name: 'y' }), 404, 'client.not_found'],
      [api.post(`/tenants/${tenant.slug}/clients/nope/secret`), 404, 'client.not_found'],
      [api.post(`/tenants/${tenant.slug}/clients/nope/roles`, { roles: ['viewer'] }), 404, 'client.not_found'],
      [api.get(`/tenants/${tenant.slug}/clients?limit=-1`), 400, 'request.invalid'],
    ];
    for (const [pending, status, error, message] of cases) {
      const answer = await pending;
      assert.equal(answer.status, status, `${error}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, error);
      if (message) assert.match(answer.body.message, message);
    }
  });
});
