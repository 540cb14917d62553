// Every operation of the Management API is guarded the same way: a live token of the system tenant for the
// Management API (401 otherwise), the operation's scope (403 insufficient_scope), and the operator's tenants
// (403 tenant.forbidden).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { createClient, createUser } from '../support/fixtures.js';
import { signInForResources } from '../support/rbac-setup.js';
import { call, client, managementToken, operator } from '../support/management.js';
import { operations } from '../../src/management/operations/index.js';
import { managementScopes } from '../../src/tenants/system-tenant.js';

describe('Management API: every operation needs a token, its scope and the operator\'s tenant', () => {
  const server = useTessera();
  let tenant: string;
  let other: string;
  const path = (template: string, slug: string) => template.replace('{slug}', slug).replace(/\{\w+\}/g, 'x');

  before(async () => {
    [tenant, other] = [(await createTenant(server)).slug, (await createTenant(server)).slug];
  });

  async function expectEverywhere(token: string | null, status: number, error: string, slug = tenant, headers: Record<string, string> = {}) {
    for (const operation of operations) {
      const answer = await call(server, operation.method.toUpperCase(), path(operation.path, slug), { token, headers, body: operation.body ? {} : undefined });
      assert.equal(answer.status, status, `${operation.id}: ${answer.text}`);
      assert.equal(answer.body?.error, error, operation.id);
    }
  }

  it('401 without a token, with a malformed one, or with a forged signature', async () => {
    await expectEverywhere(null, 401, 'auth.invalid_token');
    await expectEverywhere(null, 401, 'auth.invalid_token', tenant, { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    await expectEverywhere(null, 401, 'auth.invalid_token', tenant, { authorization: 'Token abc' });
  });

  it('401 for a token another tenant issued, or the system tenant issued for another API', async () => {
    const foreign = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', other, '--name', 'x', '--grant', 'client_credentials', '--scope', managementScopes.join(' ')]);
    await expectEverywhere(await managementToken(server, foreign.client_id, foreign.client_secret, [...managementScopes], server.issuer(other)), 401, 'auth.invalid_token');

    const owner = client(server, (await operator(server, ['roles:write', 'operators:write'])).token);
    const created = await owner.post('/tenants/system/apis', { identifier: 'https://elsewhere.example.com', name: 'Elsewhere', permissions: [{ name: 'tenants:read' }] });
    assert.equal(created.status, 201, created.text);
    const ops = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', 'system', '--name', 'y', '--grant', 'client_credentials', '--scope', 'tenants:read']);
    const config = await discover(server.issuer('system'), ops.client_id, ops.client_secret);
    const elsewhere = await oidc.clientCredentialsGrant(config, { scope: 'tenants:read', resource: 'https://elsewhere.example.com' });
    const answer = await call(server, 'GET', '/tenants', { token: elsewhere.access_token });
    assert.equal(answer.status, 401, 'the audience is not the Management API');
  });

  it('403 insufficient_scope for a token without the operation\'s scope', async () => {
    // a client registered with no management scope gets a token with none
    await expectEverywhere((await operator(server, [])).token, 403, 'auth.insufficient_scope');
  });

  it('a system user\'s token acts only within their operator roles, whatever scopes its client was registered with', async () => {
    const viewer = await createUser(server, 'system');
    assert.equal((await server.cli(['role', 'assign', '--tenant', 'system', '--user', viewer.id, '--role', 'viewer'])).code, 0);
    const app = await createClient(server, 'system', ['--first-party', '--scope', 'openid users:read users:write']);
    const config = await discover(server.issuer('system'), app.client_id, app.client_secret!);
    const api = `${server.url}/api`;
    const tokens = await signInForResources(config, viewer, { resources: [api], tokenResource: api, scope: 'openid users:read users:write' });
    const asViewer = client(server, tokens.access_token);
    const read = await asViewer.get(`/tenants/${tenant}/users`);
    assert.equal(read.status, 200, read.text);
    const write = await asViewer.post(`/tenants/${tenant}/users`, { email: 'someone@example.com' });
    assert.equal(write.status, 403, write.text);
    assert.equal(write.body.error, 'auth.insufficient_scope');
  });

  it('403 tenant.forbidden for every operation on a tenant outside the operator\'s list', async () => {
    const limited = await operator(server, [...managementScopes], ['--operator-tenant', tenant]);
    for (const operation of operations.filter((o) => o.path.includes('{slug}'))) {
      const answer = await call(server, operation.method.toUpperCase(), path(operation.path, other), { token: limited.token, body: operation.body ? {} : undefined });
      assert.equal(answer.status, 403, `${operation.id}: ${answer.text}`);
      assert.equal(answer.body.error, 'tenant.forbidden', operation.id);
    }
  });

  it('a tenant-restricted operator\'s own token reaches only their tenants, creates none, and loses a tenant at once', async () => {
    const owner = client(server, (await operator(server, [...managementScopes])).token);
    const person = await createUser(server, 'system');
    assert.equal((await server.cli(['role', 'assign', '--tenant', 'system', '--user', person.id, '--role', 'owner'])).code, 0);
    const limited = await owner.patch(`/tenants/system/users/${person.id}`, { metadata: { tenants: [tenant] } });
    assert.equal(limited.status, 200, limited.text);
    // any system-tenant client with authorization_code and the management scopes, no operator_tenants of its own
    const scope = `openid ${managementScopes.join(' ')}`;
    const app = await createClient(server, 'system', ['--first-party', '--scope', scope]);
    const config = await discover(server.issuer('system'), app.client_id, app.client_secret!);
    const api = `${server.url}/api`;
    const asPerson = client(server, (await signInForResources(config, person, { resources: [api], tokenResource: api, scope })).access_token);

    for (const operation of operations.filter((o) => o.path.includes('{slug}'))) {
      const answer = await asPerson.call(operation.method.toUpperCase(), path(operation.path, other), { body: operation.body ? {} : undefined });
      assert.equal(answer.status, 403, `${operation.id}: ${answer.text}`);
      assert.equal(answer.body.error, 'tenant.forbidden', operation.id);
    }
    const create = await asPerson.post('/tenants', { slug: `escape-${Date.now().toString(36)}` });
    assert.equal(create.status, 403, create.text);
    assert.equal(create.body.error, 'tenant.forbidden');
    const listed = await asPerson.get('/tenants');
    assert.deepEqual(listed.body.items.map((t: { slug: string }) => t.slug), [tenant]);
    const own = await asPerson.get(`/tenants/${tenant}/users`);
    assert.equal(own.status, 200, own.text);

    // the restriction is read per request: the same live token loses the tenant as soon as the operator does
    assert.equal((await owner.patch(`/tenants/system/users/${person.id}`, { metadata: { tenants: [] } })).status, 200);
    const gone = await asPerson.get(`/tenants/${tenant}/users`);
    assert.equal(gone.status, 403, gone.text);
    assert.equal(gone.body.error, 'tenant.forbidden');
  });
});
