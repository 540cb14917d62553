// Management API, signing keys and the audit log: rotation seen in the tenant's JWKS, audit search with filters
// and pagination, chain verification that finds tampering, export as JSON lines.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createTenant } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { allPages, auditEntries, call, client, operator, type ApiClient, type Operator } from '../support/management.js';

describe('Management API: keys and audit log', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let tenant: string;
  let other: string;

  before(async () => {
    [tenant, other] = [(await createTenant(server)).slug, (await createTenant(server)).slug];
    owner = await operator(server, ['keys:read', 'keys:write', 'audit:read', 'roles:write']);
    api = client(server, owner.token);
  });

  describe('keys', () => {
    it('lists the published keys and rotates one, which the tenant\'s JWKS then publishes', async () => {
      const before = await allPages(api, `/tenants/${tenant}/keys`);
      assert.deepEqual(before.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
      assert.ok(before.every((k) => k.active));
      const rotated = await api.post(`/tenants/${tenant}/keys/rotate`, { alg: 'ES256', prePublishSeconds: 0 });
      assert.equal(rotated.status, 201, rotated.text);
      assert.equal(rotated.body.alg, 'ES256');
      const after = await allPages(api, `/tenants/${tenant}/keys`, 1);
      assert.equal(after.length, 4);
      assert.equal(after.filter((k) => k.alg === 'ES256' && k.active).map((k) => k.kid)[0], rotated.body.kid);
      const jwks = await (await fetch(`${server.issuer(tenant)}/jwks`)).json() as { keys: Array<{ kid: string }> };
      assert.ok(jwks.keys.some((k) => k.kid === rotated.body.kid));
      const [entry] = await auditEntries(api, tenant, 'admin.key_rotated');
      assert.equal(entry?.actor, `client:${owner.clientId}`);
      assert.equal(entry?.subject, `key:${rotated.body.kid}`);
    });

    it('rotates RS256 when no algorithm is named, and refuses an unknown one', async () => {
      const rotated = await api.post(`/tenants/${tenant}/keys/rotate`, {});
      assert.equal(rotated.body.alg, 'RS256');
      // pre-published for an hour by default: listed as pending, the current key still signs
      const signsIn = Date.parse(rotated.body.signsFrom) - Date.parse(rotated.body.publishedAt);
      assert.equal(signsIn, 3600_000);
      const listed = await allPages(api, `/tenants/${tenant}/keys`);
      assert.equal(listed.find((k) => k.kid === rotated.body.kid)?.state, 'pending');
      assert.equal(listed.filter((k) => k.alg === 'RS256' && k.active).length, 1);
      const bad = await api.post(`/tenants/${tenant}/keys/rotate`, { alg: 'HS256' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'request.invalid');
      assert.match(bad.body.message, /alg/);
    });

    it('needs keys:read to list, keys:write to rotate, and the operator\'s own tenant', async () => {
      assert.equal((await call(server, 'GET', `/tenants/${tenant}/keys`)).status, 401);
      const reader = client(server, (await operator(server, ['keys:read'], ['--operator-tenant', tenant])).token);
      assert.equal((await reader.get(`/tenants/${tenant}/keys`)).status, 200);
      const refused = await reader.post(`/tenants/${tenant}/keys/rotate`, {});
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'auth.insufficient_scope');
      const elsewhere = await reader.get(`/tenants/${other}/keys`);
      assert.equal(elsewhere.status, 403);
      assert.equal(elsewhere.body.error, 'tenant.forbidden');
    });
  });

  describe('audit log', () => {
    let start: string;
    before(async () => {
      start = new Date(Date.now() - 1000).toISOString();
      for (const name of ['a-1', 'a-2', 'a-3', 'a-4', 'a-5']) await api.post(`/tenants/${other}/roles`, { name });
    });

    it('finds entries by type, actor, subject and time, newest first, a page at a time', async () => {
      const byType = await allPages(api, `/tenants/${other}/audit?type=admin.role_created`, 2);
      assert.deepEqual(byType.map((e) => e.subject), ['role:a-5', 'role:a-4', 'role:a-3', 'role:a-2', 'role:a-1']);
      assert.ok(byType.every((e) => e.actor === `client:${owner.clientId}` && typeof e.createdAt === 'string' && typeof e.id === 'string'));
      const bySubject = (await api.get(`/tenants/${other}/audit?subject=role:a-3`)).body.items;
      assert.deepEqual(bySubject.map((e: { type: string }) => e.type), ['admin.role_created']);
      assert.equal((await api.get(`/tenants/${other}/audit?actor=client:nobody`)).body.items.length, 0);
      assert.equal((await api.get(`/tenants/${other}/audit?actor=${encodeURIComponent(`client:${owner.clientId}`)}&limit=100`)).body.items.length, 5);
      assert.equal((await api.get(`/tenants/${other}/audit?type=admin.role_created&from=${encodeURIComponent(start)}`)).body.items.length, 5);
      assert.equal((await api.get(`/tenants/${other}/audit?type=admin.role_created&to=${encodeURIComponent(start)}`)).body.items.length, 0);
    });

    it('refuses bad filters with 400', async () => {
      for (const q of ['from=yesterday', 'limit=1000', 'cursor=abc', `cursor=${Buffer.from('{"after":"x"}').toString('base64url')}`, 'type=', 'sort=asc']) {
        const answer = await api.get(`/tenants/${other}/audit?${q}`);
        assert.equal(answer.status, 400, q);
        assert.equal(answer.body.error, 'request.invalid');
      }
    });

    it('verifies the chain and finds an entry edited behind the trigger', async () => {
      const good = await api.get(`/tenants/${other}/audit/verify`);
      assert.equal(good.status, 200);
      assert.equal(good.body.ok, true);
      assert.ok(good.body.checked >= 5);
      assert.equal(good.body.firstBroken, undefined);

      const sql = (text: string, params: unknown[] = []) => query(server.env.DATABASE_URL!, text, params);
      await sql('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      try {
        await sql(`UPDATE audit_events SET actor = 'client:someone-else' WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) AND seq = 2`, [other]);
      } finally {
        await sql('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      }
      const broken = await api.get(`/tenants/${other}/audit/verify`);
      assert.equal(broken.body.ok, false);
      assert.equal(broken.body.checked, 1);
      assert.equal(broken.body.firstBroken.seq, 2);
    });

    it('exports every entry as JSON lines, oldest first', async () => {
      const answer = await api.get(`/tenants/${tenant}/audit/export`);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      const lines = answer.text.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string });
      assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1));
      assert.ok(lines.some((l) => l.type === 'admin.key_rotated'));
    });

    it('needs audit:read', async () => {
      const keysOnly = client(server, (await operator(server, ['keys:read'])).token);
      for (const path of ['audit', 'audit/verify', 'audit/export']) {
        const answer = await keysOnly.get(`/tenants/${tenant}/${path}`);
        assert.equal(answer.status, 403, path);
        assert.equal(answer.body.error, 'auth.insufficient_scope');
      }
    });
  });
});
