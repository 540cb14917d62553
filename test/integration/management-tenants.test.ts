// Management API, tenants: bearer tokens from the system tenant only, scopes and operator tenants enforced,
// clear 4xx answers for bad input, pagination, and an audit entry naming the actor for every write.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, uniqueSlug } from '../support/fixtures.js';
import { allPages, auditEntries, call, client, managementToken, operator, type ApiClient, type Operator } from '../support/management.js';

describe('Management API: tenants', () => {
  const server = useTessera();
  let owner: Operator;
  let api: ApiClient;
  let reader: ApiClient;
  let mine: string;
  let other: string;
  let limited: ApiClient;

  before(async () => {
    [mine, other] = [(await createTenant(server)).slug, (await createTenant(server)).slug];
    owner = await operator(server, ['tenants:read', 'tenants:write', 'audit:read', 'operators:write']);
    api = client(server, owner.token);
    reader = client(server, (await operator(server, ['tenants:read'])).token);
    limited = client(server, (await operator(server, ['tenants:read', 'tenants:write'], ['--operator-tenant', mine])).token);
  });

  describe('authentication (RFC 6750)', () => {
    it('refuses a request without a token: 401 with a bare Bearer challenge', async () => {
      const answer = await call(server, 'GET', '/tenants');
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'auth.invalid_token');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+"$/);
    });

    it('refuses a malformed or forged token with error="invalid_token"', async () => {
      for (const authorization of ['Bearer not-a-jwt', 'Basic Zm9vOmJhcg==', `Bearer ${owner.token.slice(0, -4)}AAAA`]) {
        const answer = await call(server, 'GET', '/tenants', { headers: { authorization } });
        assert.equal(answer.status, 401, authorization);
        assert.equal(answer.body.error, 'auth.invalid_token');
        assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      }
    });

    it('refuses a token another tenant\'s issuer signed, even for a client with the same scopes', async () => {
      const foreign = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', mine, '--name', 'imposter', '--grant', 'client_credentials', '--scope', 'tenants:read']);
      const token = await managementToken(server, foreign.client_id, foreign.client_secret, ['tenants:read'], server.issuer(mine));
      const answer = await call(server, 'GET', '/tenants', { token });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'auth.invalid_token');
    });

    it('answers JSON even to a browser that prefers HTML', async () => {
      for (const path of ['/tenants', '/no-such-thing']) {
        const answer = await call(server, 'GET', path, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
        assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, path);
        assert.equal(typeof answer.body.error, 'string', path);
      }
    });

    it('serves the OpenAPI document without a token', async () => {
      const answer = await call(server, 'GET', '/openapi.json');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.openapi, '3.1.0');
    });
  });

  describe('scopes and operator tenants', () => {
    it('refuses a write with a read-only token: 403 insufficient_scope naming the scope', async () => {
      const answer = await reader.post('/tenants', { slug: uniqueSlug() });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'auth.insufficient_scope');
      assert.match(answer.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="tenants:write"/);
    });

    it('shows a limited operator its tenants only and refuses the others', async () => {
      const listed = await allPages(limited, '/tenants');
      assert.deepEqual(listed.map((t) => t.slug), [mine]);
      assert.equal((await limited.get(`/tenants/${mine}`)).status, 200);
      for (const answer of [await limited.get(`/tenants/${other}`), await limited.patch(`/tenants/${other}/settings`, { branding: { primaryColor: '#000000' } }), await limited.delete(`/tenants/${other}`)]) {
        assert.equal(answer.status, 403);
        assert.equal(answer.body.error, 'tenant.forbidden');
      }
      // an unknown tenant answers the same: a limited operator learns nothing about other tenants
      assert.equal((await limited.get('/tenants/no-such-tenant')).body.error, 'tenant.forbidden');
    });

    it('does not let a limited operator create tenants', async () => {
      const answer = await limited.post('/tenants', { slug: uniqueSlug() });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'tenant.forbidden');
    });

    it('needs operators:write to change the system tenant', async () => {
      const admin = client(server, (await operator(server, ['tenants:read', 'tenants:write'])).token);
      const answer = await admin.patch('/tenants/system/settings', { branding: { primaryColor: '#111111' } });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'auth.insufficient_scope');
      assert.equal((await admin.get('/tenants/system')).status, 200, 'reading it needs no more than tenants:read');
    });
  });

  describe('create, read, change, delete', () => {
    it('creates a tenant and records who did it in the system tenant\'s log', async () => {
      const slug = uniqueSlug();
      const answer = await api.post('/tenants', { slug, name: 'Acme', accessTokenSigningAlg: 'ES256' });
      assert.equal(answer.status, 201, answer.text);
      assert.equal(answer.body.issuer, server.issuer(slug));
      assert.equal(answer.body.settings.accessTokenSigningAlg, 'ES256');
      const discovery = await fetch(`${server.issuer(slug)}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200, 'the new tenant serves at once');
      const [entry] = (await auditEntries(api, 'system', 'admin.tenant_created')).filter((e) => e.subject === `tenant:${slug}`);
      assert.equal(entry?.actor, `client:${owner.clientId}`);
    });

    it('changes settings by merge patch and audits which sections changed', async () => {
      const answer = await api.patch(`/tenants/${mine}/settings`, { branding: { primaryColor: '#123456' }, ttl: { accessToken: 600 } });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.effective.branding.primaryColor, '#123456');
      assert.equal(answer.body.effective.ttl.accessToken, 600);
      assert.equal((await api.get(`/tenants/${mine}`)).body.settings.branding.primaryColor, '#123456');
      const merge = await api.call('PATCH', `/tenants/${mine}/settings`, { body: { branding: { primaryColor: null } }, contentType: 'application/merge-patch+json' });
      assert.equal(merge.status, 200, 'RFC 7396 media type');
      assert.equal(merge.body.effective.branding.primaryColor, '#1d4ed8', 'null removes the key: the default again');
      const [entry] = await auditEntries(api, mine, 'admin.tenant_settings_updated');
      assert.equal(entry?.actor, `client:${owner.clientId}`);
      assert.deepEqual(entry?.data.changed, ['branding']);
    });

    it('deletes a tenant with its data, but never the system tenant', async () => {
      const { slug } = await createTenant(server);
      const answer = await api.delete(`/tenants/${slug}`);
      assert.equal(answer.status, 204);
      assert.equal(answer.text, '');
      assert.equal((await api.get(`/tenants/${slug}`)).status, 404);
      assert.equal((await fetch(`${server.issuer(slug)}/.well-known/openid-configuration`)).status, 404);
      const [entry] = (await auditEntries(api, 'system', 'admin.tenant_deleted')).filter((e) => e.subject === `tenant:${slug}`);
      assert.equal(entry?.actor, `client:${owner.clientId}`);
      const system = await api.delete('/tenants/system');
      assert.equal(system.status, 400);
      assert.equal(system.body.error, 'tenant.reserved_slug');
    });
  });

  describe('bad input', () => {
    it('names every bad field', async () => {
      const answer = await api.post('/tenants', { slug: 5, colour: 'red' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'request.invalid');
      assert.match(answer.body.message, /slug/);
      assert.match(answer.body.message, /colour/);
    });

    it('answers 400, 404, 409 and 415 with {error, message}', async () => {
      const cases: Array<[Promise<{ status: number; body: { error: string; message: string } }>, number, string]> = [
        [api.post('/tenants', { slug: 'Not A Slug' }), 400, 'tenant.invalid_slug'],
        [api.post('/tenants', { slug: 'admin' }), 400, 'tenant.reserved_slug'],
        [api.post('/tenants', { slug: mine }), 409, 'tenant.slug_taken'],
        [api.get('/tenants/no-such-tenant'), 404, 'tenant.not_found'],
        [api.patch(`/tenants/${mine}/settings`, { nonsense: true }), 400, 'tenant.invalid_settings'],
        [api.patch(`/tenants/${mine}/settings`, [1, 2]), 400, 'request.invalid'],
        [api.call('POST', '/tenants', { rawBody: 'slug=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'request.unsupported_media_type'],
        [api.call('POST', '/tenants', { rawBody: '{"slug":', contentType: 'application/json' }), 400, 'request.invalid'],
        [api.call('POST', '/tenants', { rawBody: JSON.stringify({ slug: 'x'.repeat(100_000) }) }), 413, 'request.too_large'],
        [api.post('/tenants'), 400, 'request.invalid'],
        [api.get('/tenants?limit=0'), 400, 'request.invalid'],
        [api.get('/tenants?limit=101'), 400, 'request.invalid'],
        [api.get('/tenants?cursor=garbage'), 400, 'request.invalid'],
        [api.get('/tenants?colour=red'), 400, 'request.invalid'],
        [api.call('PUT', '/tenants'), 405, 'route.method_not_allowed'],
        [api.get('/nothing-here'), 404, 'route.not_found'],
      ];
      for (const [pending, status, error] of cases) {
        const answer = await pending;
        assert.equal(answer.status, status, `${error}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error, error);
        assert.equal(typeof answer.body.message, 'string');
      }
    });
  });

  it('pages through the tenants with an opaque cursor', async () => {
    await Promise.all([createTenant(server), createTenant(server), createTenant(server)]);
    const first = await api.get('/tenants?limit=2');
    assert.equal(first.body.items.length, 2);
    assert.equal(typeof first.body.next_cursor, 'string');
    const all = await allPages(api, '/tenants', 2);
    const whole = await api.get('/tenants?limit=100');
    assert.deepEqual(all.map((t) => t.slug), whole.body.items.map((t: { slug: string }) => t.slug));
    assert.equal(new Set(all.map((t) => t.slug)).size, all.length, 'no tenant twice');
    assert.ok(all.some((t) => t.slug === 'system'));
    assert.equal(whole.body.next_cursor, null);
  });
});
