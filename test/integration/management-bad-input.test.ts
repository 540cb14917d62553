// Every operation of the Management API, probed with hostile path parameters, bodies and queries: each answer is
// a 4xx `{error, message}` — never a 500, never a stack trace — and nothing changes on the way. Hostile values
// (issue #13: deep nesting, NUL, years 0 and 10000, integers past 64 bits) go into every field of every body and
// query, on real resources, so they reach whatever would store or compare them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createTenant } from '../support/fixtures.js';
import { assertSafe, hostileCursors, hostileJsonValues, hostileTextValues, type Answer } from '../support/bad-input.js';
import { send } from '../support/browser.js';
import { call, operator } from '../support/management.js';
import { operations } from '../../src/management/operations/index.js';
import { managementScopes } from '../../src/tenants/system-tenant.js';

const hostileSegments = ['%00', '%ZZ', 'x'.repeat(2000), '..%2F..%2Fetc', '%F0%9F%92%A9', "'; DROP TABLE users; --", '00000000-0000-4000-8000-000000000000'];
const hostileBodies: Array<[string, string]> = [
  ['null', 'application/json'], ['"text"', 'application/json'], ['[]', 'application/json'], ['{"a":', 'application/json'],
  [JSON.stringify({ name: { $gt: '' }, slug: ['x'], roles: [{}], permissions: [1], email: 'a'.repeat(5000), profile: 'x', metadata: [] }), 'application/json'],
  [`${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json'],
  ['name=x', 'application/x-www-form-urlencoded'], ['\u0000\u0001', 'text/plain'],
];
const hostileQueries = ['limit=1e400', 'limit=-0', 'limit[]=1', 'cursor=%00', `cursor=${'A'.repeat(600)}`, 'from=2026-13-45T99:00:00Z', 'email[$ne]=x'];

describe('Management API: hostile input on every operation', () => {
  const server = useTessera();
  let token: string;
  let tenant: string;

  before(async () => {
    tenant = (await createTenant(server)).slug;
    token = (await operator(server, [...managementScopes])).token;
  });

  /** a probe as an operator's script sends it (management.ts `call`), over browser.ts `send`: its status, text and JSON */
  async function probe(method: string, path: string, body?: { text: string; type: string }): Promise<Answer> {
    const answer = await send(new URL(`${server.url}/api${path}`), {
      method, headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.type } : {}) }, body: body?.text,
    });
    let json: Record<string, unknown> | null = null;
    try { json = JSON.parse(answer.text) as Record<string, unknown>; } catch { /* not JSON */ }
    return { ...answer, json };
  }

  /** the operation's path with every parameter but the tenant set to `value` */
  const pathWith = (path: string, value: string) => path.replace('{slug}', tenant).replace(/\{\w+\}/g, value);

  it('answers hostile path parameters with 4xx', async () => {
    for (const operation of operations) {
      for (const segment of hostileSegments) {
        if (!operation.path.replace('{slug}', '').includes('{')) continue;
        const answer = await probe(operation.method.toUpperCase(), pathWith(operation.path, segment), operation.body ? { text: '{}', type: 'application/json' } : undefined);
        const what = `${operation.id} ${segment.slice(0, 40)}`;
        assertSafe(answer, what);
        assert.ok(answer.status >= 400, `${what} → ${answer.status}`);
        assert.equal(typeof answer.json?.error, 'string', what);
      }
    }
  });

  it('answers hostile bodies with 400, 413 or 415', async () => {
    for (const operation of operations.filter((o) => o.body)) {
      for (const [body, contentType] of hostileBodies) {
        const answer = await probe(operation.method.toUpperCase(), pathWith(operation.path, 'nope'), { text: body, type: contentType });
        const what = `${operation.id} ${body.slice(0, 30)}`;
        assertSafe(answer, what);
        assert.ok([400, 404, 413, 415].includes(answer.status), `${what} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
  });

  it('answers hostile queries on every list with 400', async () => {
    for (const operation of operations.filter((o) => o.query)) {
      for (const query of hostileQueries) {
        const answer = await probe('GET', `${pathWith(operation.path, 'nope')}?${query}`);
        const what = `${operation.id} ?${query.slice(0, 40)}`;
        assertSafe(answer, what);
        assert.ok(answer.status >= 400 && answer.status < 500, `${what} → ${answer.status}`);
      }
    }
    const wildcards = await call(server, 'GET', `/tenants/${tenant}/users?q=${encodeURIComponent('%_\\')}`, { token });
    assert.equal(wildcards.status, 200, 'LIKE wildcards are text to search for');
    assert.deepEqual(wildcards.body.items, []);
  });

  it('left the tenant as it was', async () => {
    const roles = await call(server, 'GET', `/tenants/${tenant}/roles`, { token });
    assert.deepEqual(roles.body.items.map((r: { name: string }) => r.name).sort(), ['admin', 'editor', 'viewer']);
    const users = await call(server, 'GET', `/tenants/${tenant}/users`, { token });
    assert.deepEqual(users.body.items, []);
  });

  /** a valid body for each operation, so that one hostile field is all that is wrong with it */
  const validBodies: Record<string, Record<string, unknown>> = {
    createTenant: { slug: 'hostile-probe', name: 'Probe' },
    updateTenantSettings: { branding: {} },
    createClient: { client_name: 'Probe', redirect_uris: ['https://rp.example/cb'] },
    createApp: { name: 'Probe', slug: 'probe-app' },
    updateClient: { client_name: 'Probe' },
    assignClientRoles: { roles: ['viewer'] },
    createUser: { email: 'probe@example.com' },
    updateUser: { metadata: {} },
    assignUserRoles: { roles: ['viewer'] },
    createRole: { name: 'probe' },
    updateRole: { description: 'Probe' },
    createApi: { identifier: 'https://api.probe.example', name: 'Probe' },
    updateApi: { name: 'Probe' },
    rotateKey: { alg: 'RS256' },
    createInitialAccessToken: { ttlSeconds: 3600, singleUse: true },
    createLicenseProduct: { name: 'Probe', policy: { max_devices: 1 } },
    createLicensePolicy: { max_devices: 1 },
    issueLicenses: { product_id: '00000000-0000-0000-0000-000000000000' },
    extendLicense: { days: 30 },
    transferLicense: { user_id: null },
    createEnvironment: { name: 'probe' },
    promoteEnvironment: { from: 'sandbox', to: 'live' },
  };
  const settingsSections = ['branding', 'idTokenSigningAlg', 'defaultResource', 'ttl', 'signIn', 'messaging', 'connections', 'mfa', 'rbac', 'registration', 'grants'];
  const fieldsOf = (operation: (typeof operations)[number], schema: unknown): string[] =>
    Object.keys((schema as { shape?: Record<string, unknown> }).shape ?? {}).concat(operation.id === 'updateTenantSettings' ? settingsSections : []);

  /** a new API, client or user of the tenant: its id */
  async function create(kind: 'api' | 'client' | 'user'): Promise<string> {
    const made = kind === 'api'
      ? (await call(server, 'POST', `/tenants/${tenant}/apis`, { token, body: { identifier: `https://api-${Math.random().toString(36).slice(2)}.example`, name: 'Real' } })).body.id
      : kind === 'client'
        ? (await call(server, 'POST', `/tenants/${tenant}/clients`, { token, body: { client_name: 'Real', redirect_uris: ['https://rp.example/cb'] } })).body.client_id
        : (await call(server, 'POST', `/tenants/${tenant}/users`, { token, body: { email: `real-${Math.random().toString(36).slice(2)}@example.com` } })).body.id;
    assert.ok(made, `a real ${kind}`);
    return made;
  }

  /** real resources of the tenant, so that hostile values get past the lookups to the writes and searches */
  const realResources = async () => { for (const kind of ['api', 'client', 'user'] as const) await create(kind); };

  /** the operation's path on real resources: its `{id}` a new one of that kind, which no earlier probe has touched */
  async function realPath(path: string): Promise<string> {
    const id = path.includes('{id}') ? await create(path.includes('/apis/') ? 'api' : path.includes('/clients/') ? 'client' : 'user') : '';
    return path.replace('{slug}', tenant).replace('{id}', id).replace(/\{(name|role)\}/, 'viewer').replace('{session}', 'nope');
  }

  it('answers hostile values in every field of every body without a 5xx (deep JSON, NUL, years 0 and 10000, huge numbers)', async () => {
    await realResources();
    for (const operation of operations.filter((o) => o.body)) {
      const base = validBodies[operation.id];
      assert.ok(base, `a valid body for ${operation.id}: add one so its fields are probed`);
      const path = await realPath(operation.path);
      const fields = [...fieldsOf(operation, operation.body), 'messaging.email.from'];
      for (const field of fields) {
        for (const [label, value] of hostileJsonValues) {
          for (const wrapped of [value, `{"x":${value}}`, `[${value}]`]) {
            const rest = Object.fromEntries(Object.entries(base).filter(([key]) => key !== field.split('.')[0]));
            const inner = field.split('.').reverse().reduce((acc, key) => `{${JSON.stringify(key)}:${acc}}`, wrapped);
            const restText = JSON.stringify(rest).slice(1, -1);
            const body = `{${inner.slice(1, -1)}${restText ? `,${restText}` : ''}}`;
            const answer = await probe(operation.method.toUpperCase(), path, { text: body, type: 'application/json' });
            const what = `${operation.id} ${field}=${label}${wrapped === value ? '' : ` in ${wrapped[0]}`}`;
            assertSafe(answer, what);
          }
        }
      }
    }
  });

  it('answers hostile values in every query parameter without a 5xx, and forged cursors and dates with 400', async () => {
    await realResources();
    for (const operation of operations.filter((o) => o.query)) {
      const path = await realPath(operation.path);
      for (const field of fieldsOf(operation, operation.query)) {
        for (const [label, value] of [...hostileTextValues, ...hostileCursors]) {
          const answer = await probe('GET', `${path}?${field}=${value}`);
          const what = `${operation.id} ?${field}=${label}`;
          assertSafe(answer, what);
        }
      }
    }
    for (const [label, cursor] of hostileCursors) {
      for (const list of ['audit', 'users']) {
        const answer = await probe('GET', `/tenants/${tenant}/${list}?cursor=${cursor}`);
        assert.equal(answer.status, 400, `${list} cursor ${label} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    for (const from of ['0000-01-01T00:00:00Z', '%2B010000-01-01T00:00:00Z']) {
      const answer = await probe('GET', `/tenants/${tenant}/audit?from=${from}`);
      assert.equal(answer.status, 400, `from=${from}`);
      assert.match(String(answer.json?.message), /between the years 1 and 9999/);
    }
  });
});
