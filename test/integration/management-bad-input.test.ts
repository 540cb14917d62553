// Every operation of the Management API, probed with hostile path parameters, bodies and queries: each answer is
// a 4xx `{error, message}` — never a 500, never a stack trace — and nothing changes on the way.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createTenant } from '../support/fixtures.js';
import { assertSafe } from '../support/bad-input.js';
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

  /** the operation's path with every parameter but the tenant set to `value` */
  const pathWith = (path: string, value: string) => path.replace('{slug}', tenant).replace(/\{\w+\}/g, value);

  it('answers hostile path parameters with 4xx', async () => {
    for (const operation of operations) {
      for (const segment of hostileSegments) {
        if (!operation.path.replace('{slug}', '').includes('{')) continue;
        const answer = await call(server, operation.method.toUpperCase(), pathWith(operation.path, segment), { token, body: operation.body ? {} : undefined });
        const what = `${operation.id} ${segment.slice(0, 40)}`;
        assertSafe({ ...answer, json: answer.body }, what);
        assert.ok(answer.status >= 400, `${what} → ${answer.status}`);
        assert.equal(typeof answer.body?.error, 'string', what);
      }
    }
  });

  it('answers hostile bodies with 400, 413 or 415', async () => {
    for (const operation of operations.filter((o) => o.body)) {
      for (const [body, contentType] of hostileBodies) {
        const answer = await call(server, operation.method.toUpperCase(), pathWith(operation.path, 'nope'), { token, rawBody: body, contentType });
        const what = `${operation.id} ${body.slice(0, 30)}`;
        assertSafe({ ...answer, json: answer.body }, what);
        assert.ok([400, 404, 413, 415].includes(answer.status), `${what} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
  });

  it('answers hostile queries on every list with 400', async () => {
    for (const operation of operations.filter((o) => o.query)) {
      for (const query of hostileQueries) {
        const answer = await call(server, 'GET', `${pathWith(operation.path, 'nope')}?${query}`, { token });
        const what = `${operation.id} ?${query.slice(0, 40)}`;
        assertSafe({ ...answer, json: answer.body }, what);
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
});
