// The system tenant (issue #6) is made by whichever process opens a new database first. Processes starting together
// all try at once; every one of them must come up, and the result must be one system tenant with its Management
// API and the operator roles — whoever won each step.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createServices, type Services } from '../../src/services.js';
import { ensureSystemTenant, managementScopes } from '../../src/tenants/system-tenant.js';
import { systemSlug } from '../../src/tenants/issuer.js';
import { createTestServices, type TestServices } from '../support/test-env.js';

describe('system tenant', () => {
  let env: TestServices | undefined;
  const opened: Services[] = [];
  after(async () => {
    for (const services of opened) await services.close();
    await env?.drop();
  });

  it('four processes opening a new database at once all start, and make one system tenant with its API and operator roles', async () => {
    env = await createTestServices();
    const config = loadConfig({ ...env.env, PUBLIC_URL: 'http://127.0.0.1:9' });
    // the first migrates; the others then race on the system tenant alone
    opened.push(await createServices(config, pino({ level: 'silent' }), { migrate: true }));
    await opened[0]!.db.prisma.tenant.deleteMany({ where: { slug: systemSlug } });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => createServices(config, pino({ level: 'silent' }))));
    for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], String(results.find((r) => r.status === 'rejected')?.reason));

    const services = opened[0]!;
    const tenant = await services.tenants.get(systemSlug);
    const ref = { id: tenant.id, slug: tenant.slug };
    const apis = await services.rbac.listApis(ref);
    assert.deepEqual(apis.map((a) => a.identifier), ['http://127.0.0.1:9/api']);
    assert.deepEqual(apis[0]!.permissions.map((p) => p.name).sort(), [...managementScopes].sort());
    const roles = Object.fromEntries((await services.rbac.listRoles(ref)).map((r) => [r.name, r.permissions.map((p) => p.name).sort()]));
    assert.deepEqual(Object.keys(roles).sort(), ['admin', 'owner', 'viewer']);
    assert.deepEqual(roles.owner, [...managementScopes].sort());
    assert.ok(!roles.admin!.includes('operators:write') && roles.admin!.length === managementScopes.length - 1);
    assert.ok(roles.viewer!.length > 0 && roles.viewer!.every((p) => p.endsWith(':read')));
  });

  it('an installation from before a scope existed (licenses:*) gets it on its API and in the built-in roles as defined, keeping what operators changed', async () => {
    const services = opened[0]!;
    const tenant = await services.tenants.get(systemSlug);
    const ref = { id: tenant.id, slug: tenant.slug };
    const audience = 'http://127.0.0.1:9/api';
    // as an earlier version left it: no licenses:* scopes, and an operator took keys:write from admin
    await services.db.prisma.permission.deleteMany({ where: { name: { in: ['licenses:read', 'licenses:write'] }, api: { tenantId: tenant.id } } });
    const admin = (await services.rbac.listRoles(ref)).find((r) => r.name === 'admin')!;
    await services.rbac.updateRole(ref, 'admin', { permissions: admin.permissions.filter((p) => p.name !== 'keys:write' && !p.name.startsWith('licenses:')).map((p) => ({ api: p.api, name: p.name })) });
    await ensureSystemTenant({ tenants: services.tenants, rbac: services.rbac, publicUrl: new URL('http://127.0.0.1:9') });
    const roles = Object.fromEntries((await services.rbac.listRoles(ref)).map((r) => [r.name, r.permissions.filter((p) => p.api === audience).map((p) => p.name)]));
    assert.ok(roles.owner!.includes('licenses:read') && roles.owner!.includes('licenses:write'));
    assert.ok(roles.admin!.includes('licenses:write') && !roles.admin!.includes('keys:write'));
    assert.ok(roles.viewer!.includes('licenses:read') && !roles.viewer!.includes('licenses:write'));
  });
});
