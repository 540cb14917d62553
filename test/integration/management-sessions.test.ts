// Management API, sessions: an operator sees a user's sessions (device, IP, method, roles, times) and ends one
// or all of them; the refresh tokens of an ended session die at once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { useTessera } from '../support/use-tessera.js';
import { auditEntries, call, client, operator, type ApiClient, type Operator } from '../support/management.js';

const firefoxOnLinux = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const safariOnIphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';

interface SessionView { id: string; browser: string; os: string; ip: string | null; amr: string[]; roles: string[]; clients: string[]; createdAt: string; lastActiveAt: string }

describe('Management API: sessions', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let tenant: { slug: string; issuer: string };
  let config: oidc.Configuration;

  before(async () => {
    tenant = await createTenant(server);
    owner = await operator(server, ['sessions:read', 'sessions:write', 'users:write', 'audit:read']);
    api = client(server, owner.token);
    const app = await createClient(server, tenant.slug, ['--scope', 'openid offline_access']);
    config = await discover(tenant.issuer, app.client_id, app.client_secret!);
  });

  async function userWithTwoSessions() {
    const user = await createUser(server, tenant.slug);
    const onLaptop = await signInOffline(config, user, { browser: new Browser({ 'user-agent': firefoxOnLinux }) });
    const onPhone = await signInOffline(config, user, { browser: new Browser({ 'user-agent': safariOnIphone }) });
    return { user, onLaptop, onPhone };
  }

  it('lists each session with device, IP, method, roles and times', async () => {
    const { user } = await userWithTwoSessions();
    await api.post(`/tenants/${tenant.slug}/users/${user.id}/roles`, { roles: ['viewer'] });
    const answer = await api.get<{ items: SessionView[] }>(`/tenants/${tenant.slug}/users/${user.id}/sessions`);
    assert.equal(answer.status, 200, answer.text);
    const sessions = answer.body.items;
    assert.equal(sessions.length, 2);
    assert.deepEqual(sessions.map((s) => `${s.browser} on ${s.os}`).sort(), ['Firefox 140 on Linux', 'Safari 18 on iOS']);
    for (const session of sessions) {
      assert.equal(session.ip, '127.0.0.1');
      assert.ok(session.amr.includes('pwd'));
      assert.deepEqual(session.roles, ['viewer']);
      assert.equal(session.clients.length, 1);
      assert.ok(!Number.isNaN(Date.parse(session.createdAt)) && !Number.isNaN(Date.parse(session.lastActiveAt)));
    }
  });

  it('ends one session: its refresh token dies, the other lives; the revocation is audited', async () => {
    const { user, onLaptop, onPhone } = await userWithTwoSessions();
    const sessions = (await api.get<{ items: SessionView[] }>(`/tenants/${tenant.slug}/users/${user.id}/sessions`)).body.items;
    const phone = sessions.find((s) => s.os === 'iOS')!;
    const revoked = await api.delete(`/tenants/${tenant.slug}/users/${user.id}/sessions/${phone.id}`);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((await refusal(oidc.refreshTokenGrant(config, onPhone.refresh_token!))).error, 'invalid_grant');
    assert.ok((await oidc.refreshTokenGrant(config, onLaptop.refresh_token!)).access_token);
    const left = (await api.get<{ items: SessionView[] }>(`/tenants/${tenant.slug}/users/${user.id}/sessions`)).body.items;
    assert.deepEqual(left.map((s) => s.os), ['Linux']);
    const [entry] = await auditEntries(api, tenant.slug, 'admin.session_revoked');
    assert.deepEqual([entry?.actor, entry?.subject, entry?.data.session], [`client:${owner.clientId}`, user.id, phone.id]);
    const again = await api.delete(`/tenants/${tenant.slug}/users/${user.id}/sessions/${phone.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error, 'session.not_found');
  });

  it('ends every session of a user at once', async () => {
    const { user, onLaptop, onPhone } = await userWithTwoSessions();
    const answer = await api.delete(`/tenants/${tenant.slug}/users/${user.id}/sessions`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.sessions, 2);
    for (const tokens of [onLaptop, onPhone]) assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');
    assert.deepEqual((await api.get(`/tenants/${tenant.slug}/users/${user.id}/sessions`)).body.items, []);
    const [entry] = await auditEntries(api, tenant.slug, 'admin.sessions_revoked');
    assert.deepEqual([entry?.actor, entry?.subject], [`client:${owner.clientId}`, user.id]);
  });

  it('needs sessions:read to list, sessions:write to revoke, and the operator\'s own tenant', async () => {
    const user = await createUser(server, tenant.slug);
    assert.equal((await call(server, 'GET', `/tenants/${tenant.slug}/users/${user.id}/sessions`)).status, 401);
    const reader = client(server, (await operator(server, ['sessions:read'], ['--operator-tenant', tenant.slug])).token);
    assert.equal((await reader.get(`/tenants/${tenant.slug}/users/${user.id}/sessions`)).status, 200);
    const refused = await reader.delete(`/tenants/${tenant.slug}/users/${user.id}/sessions`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'auth.insufficient_scope');
    const elsewhere = client(server, (await operator(server, ['sessions:read'], ['--operator-tenant', 'somewhere-else'])).token);
    assert.equal((await elsewhere.get(`/tenants/${tenant.slug}/users/${user.id}/sessions`)).body.error, 'tenant.forbidden');
    assert.equal((await api.get(`/tenants/${tenant.slug}/users/00000000-0000-4000-8000-000000000000/sessions`)).body.error, 'user.not_found');
  });
});
