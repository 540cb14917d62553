// Roles and APIs of a tenant: create, edit permissions, delete.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminKit } from './admin-kit.js';
import { confirmed, notConfirmed, text, values } from './admin-kit.js';

/** "name description" per line, as the API form's permission box holds them */
function parsePermissions(input: string) {
  return input.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const space = line.search(/\s/);
    return space < 0 ? { name: line, description: '' } : { name: line.slice(0, space), description: line.slice(space).trim() };
  });
}

export function rbacRoutes(kit: AdminKit) {
  const { rbac } = kit.services;
  const router = new Router({ prefix: '/admin/tenants/:slug' });
  const ref = (t: { id: string; slug: string }) => ({ id: t.id, slug: t.slug });

  async function roles(ctx: Context, form: Record<string, string> = {}, status = 200) {
    const tenant = await kit.tenant(ctx, 'roles:read');
    const list = await rbac.listRoles(ref(tenant));
    await kit.render(ctx, 'roles', { title: 'console.roles.title', tenant, section: 'roles', status, data: { roles: list, canWrite: kit.can(kit.operatorOf(ctx), 'roles:write'), form } });
  }

  async function role(ctx: Context, formErrorMessage: string | null = null, status = 200) {
    const tenant = await kit.tenant(ctx, 'roles:read');
    const found = await rbac.getRole(ref(tenant), String(ctx.params.name));
    const apis = await rbac.listApis(ref(tenant));
    const held = new Set(found.permissions.map((p) => `${p.api} ${p.name}`));
    await kit.render(ctx, 'role', {
      title: 'console.roles.heading', titleVars: { name: found.name }, tenant, section: 'roles', status,
      data: { role: found, apis: apis.map((a) => ({ identifier: a.identifier, name: a.name, permissions: a.permissions.map((p) => ({ ...p, value: `${a.identifier} ${p.name}`, held: held.has(`${a.identifier} ${p.name}`) })) })), canWrite: kit.can(kit.operatorOf(ctx), 'roles:write'), formError: formErrorMessage },
    });
  }

  router.get('/roles', (ctx) => roles(ctx));
  router.post('/roles', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const input = { name: text(ctx, 'name', 100), description: text(ctx, 'description', 300) };
    try {
      await rbac.createRole(ref(tenant), input);
    } catch (error) {
      return roles(ctx, { ...input, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.role_created', { data: { role: input.name } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/roles/${encodeURIComponent(input.name)}`, { key: 'console.roles.created', vars: { name: input.name } });
  });
  router.get('/roles/:name', (ctx) => role(ctx));
  router.post('/roles/:name', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const name = String(ctx.params.name);
    // each box's value is "<API identifier> <permission>"; neither part holds a space
    const permissions = values(ctx, 'permission').map((v) => {
      const space = v.lastIndexOf(' ');
      return space < 0 ? { api: '', name: v } : { api: v.slice(0, space), name: v.slice(space + 1) };
    });
    try {
      await rbac.updateRole(ref(tenant), name, { description: text(ctx, 'description', 300), permissions });
    } catch (error) {
      return role(ctx, await kit.formError(ctx, error), 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.role_updated', { data: { role: name, permissions: permissions.map((p) => `${p.api} ${p.name}`) } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/roles/${encodeURIComponent(name)}`, { key: 'console.roles.saved', vars: { name } });
  });
  router.post('/roles/:name/delete', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const name = String(ctx.params.name);
    if (!confirmed(ctx)) return kit.done(ctx, `/admin/tenants/${tenant.slug}/roles/${encodeURIComponent(name)}`, notConfirmed, true);
    await rbac.deleteRole(ref(tenant), name);
    await kit.audit(ctx, tenant.id, 'admin.role_deleted', { data: { role: name } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/roles`, { key: 'console.roles.deleted', vars: { name } });
  });

  async function apis(ctx: Context, form: Record<string, string> = {}, status = 200) {
    const tenant = await kit.tenant(ctx, 'roles:read');
    const list = await rbac.listApis(ref(tenant));
    await kit.render(ctx, 'apis', { title: 'console.apis.title', tenant, section: 'apis', status, data: { apis: list, canWrite: kit.can(kit.operatorOf(ctx), 'roles:write'), form } });
  }

  async function api(ctx: Context, form: { name?: string; permissions?: string; formError?: string } = {}, status = 200) {
    const tenant = await kit.tenant(ctx, 'roles:read');
    const found = await rbac.getApi(ref(tenant), String(ctx.params.id));
    await kit.render(ctx, 'api', {
      title: 'console.apis.heading', titleVars: { name: found.name }, tenant, section: 'apis', status,
      data: {
        api: found, canWrite: kit.can(kit.operatorOf(ctx), 'roles:write'),
        form: { name: form.name ?? found.name, permissions: form.permissions ?? found.permissions.map((p) => `${p.name}${p.description ? ` ${p.description}` : ''}`).join('\n'), formError: form.formError ?? null },
      },
    });
  }

  router.get('/apis', (ctx) => apis(ctx));
  router.post('/apis', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const input = { identifier: text(ctx, 'identifier', 400), name: text(ctx, 'name', 200), permissions: text(ctx, 'permissions', 20_000) };
    let created;
    try {
      created = await rbac.createApi(ref(tenant), { identifier: input.identifier, name: input.name, permissions: parsePermissions(input.permissions) });
    } catch (error) {
      return apis(ctx, { ...input, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.api_created', { data: { api: created.identifier, permissions: created.permissions.map((p) => p.name) } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/apis/${created.id}`, { key: 'console.apis.created', vars: { name: created.name } });
  });
  router.get('/apis/:id', (ctx) => api(ctx));
  router.post('/apis/:id', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const input = { name: text(ctx, 'name', 200), permissions: text(ctx, 'permissions', 20_000) };
    let updated;
    try {
      updated = await rbac.updateApi(ref(tenant), String(ctx.params.id), { name: input.name, permissions: parsePermissions(input.permissions) });
    } catch (error) {
      return api(ctx, { ...input, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.api_updated', { data: { api: updated.identifier, permissions: updated.permissions.map((p) => p.name) } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/apis/${updated.id}`, { key: 'console.apis.saved', vars: { name: updated.name } });
  });
  router.post('/apis/:id/delete', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'roles:write');
    kit.verifyCsrf(ctx);
    const found = await rbac.getApi(ref(tenant), String(ctx.params.id));
    if (!confirmed(ctx)) return kit.done(ctx, `/admin/tenants/${tenant.slug}/apis/${found.id}`, notConfirmed, true);
    await rbac.deleteApi(ref(tenant), found.id);
    await kit.audit(ctx, tenant.id, 'admin.api_deleted', { data: { api: found.identifier } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/apis`, { key: 'console.apis.deleted', vars: { name: found.name } });
  });

  return router;
}
