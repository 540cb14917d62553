// Management API, roles and APIs of a tenant: the permissions an API defines, roles bundling them, scopes and
// operator tenants enforced, clear refusals, pagination, and audit entries naming the actor.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createTenant } from '../support/fixtures.js';
import { allPages, auditEntries, call, client, operator, type ApiClient, type Operator } from '../support/management.js';

describe('Management API: roles and APIs', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let tenant: string;
  let other: string;

  before(async () => {
    [tenant, other] = [(await createTenant(server)).slug, (await createTenant(server)).slug];
    owner = await operator(server, ['roles:read', 'roles:write', 'audit:read', 'operators:write']);
    api = client(server, owner.token);
  });

  it('needs a token, the roles scopes and a tenant of the operator\'s', async () => {
    assert.equal((await call(server, 'GET', `/tenants/${tenant}/roles`)).status, 401);
    assert.equal((await call(server, 'GET', `/tenants/${tenant}/apis`, { token: 'x.y.z' })).status, 401);
    const reader = client(server, (await operator(server, ['roles:read'])).token);
    assert.equal((await reader.get(`/tenants/${tenant}/roles`)).status, 200);
    for (const answer of [await reader.post(`/tenants/${tenant}/roles`, { name: 'x' }), await reader.post(`/tenants/${tenant}/apis`, { identifier: 'https://x.example', name: 'X' })]) {
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'auth.insufficient_scope');
    }
    const limited = client(server, (await operator(server, ['roles:read', 'roles:write'], ['--operator-tenant', tenant])).token);
    assert.equal((await limited.get(`/tenants/${tenant}/roles`)).status, 200);
    for (const answer of [await limited.get(`/tenants/${other}/roles`), await limited.post(`/tenants/${other}/roles`, { name: 'x' }), await limited.get(`/tenants/${other}/apis`)]) {
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'tenant.forbidden');
    }
  });

  it('registers an API, builds a role from its permissions, and audits both with the actor', async () => {
    const created = await api.post(`/tenants/${tenant}/apis`, {
      identifier: 'https://orders.example.com', name: 'Orders',
      permissions: [{ name: 'read:orders', description: 'See orders' }, { name: 'write:orders' }],
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.permissions.map((p: { name: string }) => p.name), ['read:orders', 'write:orders']);
    const id = created.body.id as string;
    assert.equal((await api.get(`/tenants/${tenant}/apis/${id}`)).body.identifier, 'https://orders.example.com');

    const role = await api.post(`/tenants/${tenant}/roles`, { name: 'support', description: 'Helps customers', permissions: [{ api: 'https://orders.example.com', name: 'read:orders' }] });
    assert.equal(role.status, 201, role.text);
    assert.deepEqual(role.body.permissions, [{ api: 'https://orders.example.com', name: 'read:orders' }]);
    assert.equal((await api.get(`/tenants/${tenant}/roles/support`)).body.description, 'Helps customers');

    const updated = await api.patch(`/tenants/${tenant}/roles/support`, { permissions: [{ api: 'https://orders.example.com', name: 'write:orders' }] });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body.permissions.map((p: { name: string }) => p.name), ['write:orders']);

    const renamed = await api.patch(`/tenants/${tenant}/apis/${id}`, { name: 'Orders v2', permissions: [{ name: 'read:orders' }] });
    assert.equal(renamed.body.name, 'Orders v2');
    assert.deepEqual((await api.get(`/tenants/${tenant}/roles/support`)).body.permissions, [], 'a removed permission leaves every role');

    assert.equal((await api.delete(`/tenants/${tenant}/roles/support`)).status, 204);
    assert.equal((await api.get(`/tenants/${tenant}/roles/support`)).status, 404);
    assert.equal((await api.delete(`/tenants/${tenant}/apis/${id}`)).status, 204);
    assert.equal((await api.get(`/tenants/${tenant}/apis/${id}`)).status, 404);

    for (const type of ['admin.api_created', 'admin.api_updated', 'admin.api_deleted', 'admin.role_created', 'admin.role_updated', 'admin.role_deleted']) {
      const [entry] = await auditEntries(api, tenant, type);
      assert.equal(entry?.actor, `client:${owner.clientId}`, type);
    }
    assert.equal((await auditEntries(api, tenant, 'admin.role_created'))[0]?.subject, 'role:support');
  });

  it('refuses bad input with {error, message}, never a 500', async () => {
    await api.post(`/tenants/${tenant}/roles`, { name: 'taken' });
    const cases: Array<[Promise<{ status: number; body: { error: string; message: string } }>, number, string, RegExp?]> = [
      [api.post(`/tenants/${tenant}/roles`, { name: 'has space', permissions: 'all' }), 400, 'request.invalid', /name.*permissions|permissions.*name/s],
      [api.post(`/tenants/${tenant}/roles`, { name: 'taken' }), 409, 'role.name_taken'],
      [api.post(`/tenants/${tenant}/roles`, { name: 'x', permissions: [{ api: 'https://nope.example', name: 'read' }] }), 404, 'permission.not_found'],
      [api.patch(`/tenants/${tenant}/roles/missing`, { description: 'x' }), 404, 'role.not_found'],
      [api.delete(`/tenants/${tenant}/roles/missing`), 404, 'role.not_found'],
      [api.post(`/tenants/${tenant}/apis`, { identifier: 'not a uri', name: '' }), 400, 'request.invalid', /identifier.*name|name.*identifier/s],
      [api.post(`/tenants/${tenant}/apis`, { identifier: `${server.issuer(tenant)}/api`, name: 'Again' }), 409, 'api.identifier_taken'],
      [api.get(`/tenants/${tenant}/apis/not-a-uuid`), 404, 'api.not_found'],
      [api.patch(`/tenants/${tenant}/apis/00000000-0000-4000-8000-000000000000`, { name: 'x' }), 404, 'api.not_found'],
      [api.call('POST', `/tenants/${tenant}/roles`, { rawBody: '<role/>', contentType: 'application/xml' }), 415, 'request.unsupported_media_type'],
      [api.get('/tenants/no-such-tenant/roles'), 404, 'tenant.not_found'],
    ];
    for (const [pending, status, error, message] of cases) {
      const answer = await pending;
      assert.equal(answer.status, status, `${error}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, error);
      if (message) assert.match(answer.body.message, message);
    }
  });

  it('keeps the Management API itself from being deleted', async () => {
    const apis = await allPages(api, '/tenants/system/apis');
    const management = apis.find((a) => a.identifier === `${server.url}/api`);
    assert.ok(management, 'the system tenant lists the Management API');
    const answer = await api.delete(`/tenants/system/apis/${management.id}`);
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error, 'auth.forbidden');
  });

  it('pages through roles and APIs', async () => {
    for (const name of ['p-1', 'p-2', 'p-3']) await api.post(`/tenants/${tenant}/roles`, { name });
    for (const host of ['a', 'b']) await api.post(`/tenants/${tenant}/apis`, { identifier: `https://${host}.example.com`, name: host });
    const roles = await allPages(api, `/tenants/${tenant}/roles`, 2);
    const whole = (await api.get(`/tenants/${tenant}/roles?limit=100`)).body;
    assert.deepEqual(roles.map((r) => r.name), whole.items.map((r: { name: string }) => r.name));
    assert.ok(['admin', 'editor', 'viewer', 'p-1', 'p-2', 'p-3'].every((name) => roles.some((r) => r.name === name)));
    const first = await api.get(`/tenants/${tenant}/roles?limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.next_cursor);
    const apis = await allPages(api, `/tenants/${tenant}/apis`, 1);
    assert.equal(apis.length, 3, 'the default API and the two new ones');
  });
});
