// Management API, users: create, search with pagination, profile and metadata, disable / enable, roles in the
// next token, identities and factors, MFA reset, delete with all data — each write audited with the actor.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, redirectUri } from '../support/fixtures.js';
import { codeFlow, discover } from '../support/relying-party.js';
import { allPages, auditEntries, call, client, operator, type ApiClient, type Operator } from '../support/management.js';

describe('Management API: users', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let tenant: { slug: string; issuer: string };
  let other: string;

  before(async () => {
    tenant = await createTenant(server);
    other = (await createTenant(server)).slug;
    owner = await operator(server, ['users:read', 'users:write', 'audit:read', 'roles:write']);
    api = client(server, owner.token);
  });

  const newUser = async (email: string, extra: Record<string, unknown> = {}) => {
    const answer = await api.post(`/tenants/${tenant.slug}/users`, { email, password: 'Correct-Horse-Battery-9', email_verified: true, ...extra });
    assert.equal(answer.status, 201, answer.text);
    return answer.body as { id: string; email: string };
  };

  it('needs a token, the users scopes and a tenant of the operator\'s', async () => {
    assert.equal((await call(server, 'GET', `/tenants/${tenant.slug}/users`)).status, 401);
    const reader = client(server, (await operator(server, ['users:read'], ['--operator-tenant', tenant.slug])).token);
    assert.equal((await reader.get(`/tenants/${tenant.slug}/users`)).status, 200);
    const write = await reader.post(`/tenants/${tenant.slug}/users`, { email: 'x@example.com' });
    assert.equal(write.status, 403);
    assert.equal(write.body.error, 'auth.insufficient_scope');
    const elsewhere = await reader.get(`/tenants/${other}/users`);
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body.error, 'tenant.forbidden');
  });

  it('creates, finds, changes and deletes a user, auditing each write with the actor', async () => {
    const user = await newUser('ada@example.com', { name: 'Ada Lovelace' });
    assert.equal(user.email, 'ada@example.com');
    assert.equal((await api.get(`/tenants/${tenant.slug}/users/${user.id}`)).body.profile.name, 'Ada Lovelace');
    const found = await api.get(`/tenants/${tenant.slug}/users?email=ada@example.com`);
    assert.deepEqual(found.body.items.map((u: { id: string }) => u.id), [user.id]);
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/users?name=lovelace`)).body.items.map((u: { id: string }) => u.id), [user.id]);

    const changed = await api.patch(`/tenants/${tenant.slug}/users/${user.id}`, { profile: { given_name: 'Ada' }, metadata: { plan: 'gold' } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.profile.given_name, 'Ada');
    assert.deepEqual(changed.body.metadata, { plan: 'gold' });

    assert.equal((await api.post(`/tenants/${tenant.slug}/users/${user.id}/disable`)).body.disabled, true);
    assert.equal((await api.post(`/tenants/${tenant.slug}/users/${user.id}/enable`)).body.disabled, false);
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/users/${user.id}/identities`)).body.items, []);
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/users/${user.id}/factors`)).body.totp, []);
    assert.equal((await api.post(`/tenants/${tenant.slug}/users/${user.id}/mfa/reset`)).status, 200);

    assert.equal((await api.delete(`/tenants/${tenant.slug}/users/${user.id}`)).status, 204);
    assert.equal((await api.get(`/tenants/${tenant.slug}/users/${user.id}`)).status, 404);

    for (const type of ['admin.user_created', 'admin.user_updated', 'admin.user_disabled', 'admin.user_enabled', 'admin.user_mfa_reset', 'admin.user_deleted']) {
      const [entry] = await auditEntries(api, tenant.slug, type);
      assert.equal(entry?.actor, `client:${owner.clientId}`, type);
      assert.equal(entry?.subject, user.id, type);
    }
    const exported = await api.get(`/tenants/${tenant.slug}/audit/export`);
    assert.ok(!exported.text.includes('Correct-Horse-Battery-9'), 'no password in the log');
  });

  it('a disabled user cannot sign in; roles show in the next token', async () => {
    const user = await newUser('grace@example.com');
    const app = await createClient(server, tenant.slug, ['--first-party']);
    const config = await discover(tenant.issuer, app.client_id, app.client_secret!);
    const credentials = { email: user.email, password: 'Correct-Horse-Battery-9' };

    const assigned = await api.post(`/tenants/${tenant.slug}/users/${user.id}/roles`, { roles: ['editor', 'viewer'] });
    assert.deepEqual(assigned.body.roles, ['editor', 'viewer']);
    const { tokens } = await codeFlow(config, redirectUri, credentials, { params: { scope: 'openid roles' } });
    const userinfo = await (await fetch(`${tenant.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json() as { roles?: string[] };
    assert.deepEqual(userinfo.roles, ['editor', 'viewer']);
    const unassigned = await api.delete(`/tenants/${tenant.slug}/users/${user.id}/roles/editor`);
    assert.deepEqual(unassigned.body.roles, ['viewer']);
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/users/${user.id}/roles`)).body.roles, ['viewer']);
    const [entry] = await auditEntries(api, tenant.slug, 'admin.role_assigned');
    assert.deepEqual([entry?.actor, entry?.subject, entry?.data.roles], [`client:${owner.clientId}`, user.id, ['editor', 'viewer']]);

    await api.post(`/tenants/${tenant.slug}/users/${user.id}/disable`);
    await assert.rejects(codeFlow(config, redirectUri, credentials), 'a disabled user cannot sign in');
  });

  it('refuses bad input with {error, message}', async () => {
    const known = await newUser('known@example.com');
    const cases: Array<[Promise<{ status: number; body: { error: string; message: string } }>, number, string, RegExp?]> = [
      [api.post(`/tenants/${tenant.slug}/users`, { email: 'not-an-email' }), 400, 'user.invalid_email'],
      [api.post(`/tenants/${tenant.slug}/users`, { email: 'known@example.com' }), 409, 'user.email_taken'],
      [api.post(`/tenants/${tenant.slug}/users`, { email: 'short@example.com', password: 'abc' }), 400, 'password.too_short'],
      [api.post(`/tenants/${tenant.slug}/users`, { email: 7, nickname: 'x' }), 400, 'request.invalid', /email.*nickname|nickname.*email/s],
      [api.patch(`/tenants/${tenant.slug}/users/${known.id}`, { profile: { plan: 'gold' } }), 400, 'request.invalid', /profile/],
      [api.patch(`/tenants/${tenant.slug}/users/${known.id}`, { role: 'admin' }), 400, 'request.invalid', /role/],
      [api.get(`/tenants/${tenant.slug}/users/not-a-uuid`), 404, 'user.not_found'],
      [api.post(`/tenants/${tenant.slug}/users/00000000-0000-4000-8000-000000000000/disable`), 404, 'user.not_found'],
      [api.post(`/tenants/${tenant.slug}/users/${known.id}/roles`, { roles: ['no-such-role'] }), 404, 'role.not_found'],
      [api.post(`/tenants/${tenant.slug}/users/${known.id}/roles`, { roles: [] }), 400, 'request.invalid'],
      [api.get(`/tenants/${tenant.slug}/users?limit=abc`), 400, 'request.invalid'],
      [api.get(`/tenants/${tenant.slug}/users?cursor=nope`), 400, 'request.invalid'],
      [api.get(`/tenants/${tenant.slug}/users?mail=x`), 400, 'request.invalid'],
    ];
    for (const [pending, status, error, message] of cases) {
      const answer = await pending;
      assert.equal(answer.status, status, `${error}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, error);
      if (message) assert.match(answer.body.message, message);
    }
  });

  it('pages through search results', async () => {
    for (const n of [1, 2, 3, 4, 5]) await newUser(`pager-${n}@example.com`);
    const all = await allPages(api, `/tenants/${tenant.slug}/users?q=pager-`, 2);
    assert.deepEqual(all.map((u) => u.email).sort(), [1, 2, 3, 4, 5].map((n) => `pager-${n}@example.com`));
    const first = await api.get(`/tenants/${tenant.slug}/users?q=pager-&limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.next_cursor);
  });
});
