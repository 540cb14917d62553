// A tenant's clients: list, create (the secret shown once), change, assign roles to machine clients, rotate the
// secret (shown once), delete. A new secret is shown on the client's page right after the redirect, once
// (admin-session.ts keepSecret), so reloading neither shows it again nor creates another client.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit } from './admin-kit.js';
import { confirmed, notConfirmed, text } from './admin-kit.js';
import { clientFormError, type ClientField } from './client-form-errors.js';
import { connectPanel } from './connect-samples.js';
import { pageOf } from '../validation/pagination.js';

const kinds = {
  web: { label: 'console.clients.kindWeb', grants: ['authorization_code', 'refresh_token'], public: false },
  spa: { label: 'console.clients.kindSpa', grants: ['authorization_code', 'refresh_token'], public: true },
  machine: { label: 'console.clients.kindMachine', grants: ['client_credentials'], public: false },
} as const;
type Kind = keyof typeof kinds;

const lines = (value: string) => value.split(/\s+/).map((s) => s.trim()).filter(Boolean).slice(0, 50);

export function clientsRoutes(kit: AdminKit) {
  const { services } = kit;
  const { clientAdmin, clients, rbac } = services;
  const router = new Router({ prefix: '/admin/tenants/:slug/clients' });
  const ref = (t: TenantSummary) => ({ id: t.id, slug: t.slug });

  async function list(ctx: Context, form: Record<string, string> = {}, status = 200) {
    const tenant = await kit.tenant(ctx, 'clients:read');
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor.slice(0, 512) : undefined;
    const page = pageOf(await clientAdmin.list(tenant.id), (c) => `${String(c.client_name ?? '').toLowerCase()}\u0000${c.client_id}`, { limit: 25, ...(cursor ? { cursor } : {}) });
    await kit.render(ctx, 'clients', {
      title: 'console.clients.title', tenant, section: 'clients', status,
      data: {
        nextUrl: page.next_cursor ? `?${new URLSearchParams({ cursor: page.next_cursor })}` : null, firstUrl: cursor ? '?' : null,
        clients: page.items, kinds: Object.entries(kinds).map(([key, k]) => ({ key, label: k.label })), canWrite: kit.can(kit.operatorOf(ctx), 'clients:write'), form },
    });
  }

  async function detail(ctx: Context, options: { formError?: string | null; errorField?: ClientField | null; status?: number } = {}) {
    const tenant = await kit.tenant(ctx, 'clients:read');
    const clientId = String(ctx.params.id);
    const client = await clientAdmin.get(tenant.id, clientId);
    const secret = await kit.deps.sessions.takeSecret(kit.operatorOf(ctx).session, `${tenant.id}:${clientId}`);
    const [roles, allRoles] = await Promise.all([rbac.rolesOfClient(ref(tenant), clientId), rbac.listRoles(ref(tenant))]);

    const grants = (client.grant_types as string[] | undefined) ?? [];
    await kit.render(ctx, 'client', {
      title: '', titleText: String(client.client_name ?? clientId), tenant, section: 'clients', status: options.status,
      data: {
        client, secret, formError: options.formError ?? null, errorField: options.errorField ?? null,
        connect: connectPanel((await kit.words(ctx)).t, tenant.issuer, { clientId, hasSecret: !!client.has_secret, grants, redirectUris: (client.redirect_uris as string[] | undefined) ?? [] }), base: `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(clientId)}`,
        redirectUris: ((client.redirect_uris as string[] | undefined) ?? []).join('\n'), postLogoutUris: ((client.post_logout_redirect_uris as string[] | undefined) ?? []).join('\n'),
        grants: (client.grant_types as string[] | undefined) ?? [], roles, assignable: allRoles.map((r) => r.name).filter((name) => !roles.includes(name)),
        canWrite: kit.can(kit.operatorOf(ctx), 'clients:write'),
      },
    });
  }

  router.get('/', (ctx) => list(ctx));
  router.post('/', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const form = { name: text(ctx, 'name', 200), kind: text(ctx, 'kind', 20), redirectUris: text(ctx, 'redirectUris', 20_000), postLogoutUris: text(ctx, 'postLogoutUris', 20_000), firstParty: text(ctx, 'firstParty', 10) };
    const kind = Object.hasOwn(kinds, form.kind) ? kinds[form.kind as Kind] : null;
    if (!kind) return list(ctx, { ...form, formError: (await kit.words(ctx)).t('console.clients.chooseKind') }, 400);
    let created;
    try {
      created = await clients.create(tenant.id, {
        name: form.name, grants: [...kind.grants], public: kind.public,
        redirectUris: (kind.grants as readonly string[]).includes('client_credentials') ? [] : lines(form.redirectUris), postLogoutRedirectUris: lines(form.postLogoutUris),
        firstParty: form.firstParty === 'on',
      }, await services.clientValidator(tenant.slug));
    } catch (error) {
      const problem = clientFormError(error, await kit.words(ctx));
      return list(ctx, { ...form, formError: problem.message, errorField: problem.field ?? '' }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.client_created', { clientId: created.client_id, subject: created.client_id, data: { name: created.client_name, grants: created.grant_types, auth: created.token_endpoint_auth_method } });
    if (created.client_secret) await kit.deps.sessions.keepSecret(kit.operatorOf(ctx).session, `${tenant.id}:${created.client_id}`, created.client_secret);
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(created.client_id)}`, { key: 'console.clients.created', vars: { name: String(created.client_name) } });
  });

  router.get('/:id', (ctx) => detail(ctx));

  router.post('/:id', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const clientId = String(ctx.params.id);
    const patch = { client_name: text(ctx, 'name', 200), redirect_uris: lines(text(ctx, 'redirectUris', 20_000)), post_logout_redirect_uris: lines(text(ctx, 'postLogoutUris', 20_000)), first_party: text(ctx, 'firstParty', 10) === 'on' };
    const current = await clientAdmin.get(tenant.id, clientId);
    if (((current.grant_types as string[] | undefined) ?? []).every((g) => g === 'client_credentials')) delete (patch as Partial<typeof patch>).redirect_uris;
    try {
      await clientAdmin.update(tenant.id, clientId, patch, await services.clientValidator(tenant.slug));
    } catch (error) {
      const problem = clientFormError(error, await kit.words(ctx));
      return detail(ctx, { formError: problem.message, errorField: problem.field, status: 400 });
    }
    await kit.audit(ctx, tenant.id, 'admin.client_updated', { clientId, subject: clientId, data: patch });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(clientId)}`, { key: 'console.clients.saved' });
  });

  router.post('/:id/rotate-secret', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const clientId = String(ctx.params.id);
    let rotated;
    try {
      rotated = await clientAdmin.rotateSecret(tenant.id, clientId);
    } catch (error) {
      return detail(ctx, { formError: await kit.formError(ctx, error), status: 400 });
    }
    await kit.audit(ctx, tenant.id, 'admin.client_secret_rotated', { clientId, subject: clientId });
    await kit.deps.sessions.keepSecret(kit.operatorOf(ctx).session, `${tenant.id}:${clientId}`, rotated.client_secret);
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(clientId)}`, { key: 'console.clients.rotated' });
  });

  router.post('/:id/delete', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const clientId = String(ctx.params.id);
    if (!confirmed(ctx)) return kit.done(ctx, `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(clientId)}`, notConfirmed, true);
    await clientAdmin.delete(tenant.id, clientId);
    await kit.audit(ctx, tenant.id, 'admin.client_deleted', { clientId, subject: clientId });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/clients`, { key: 'console.clients.deleted', vars: { id: clientId } });
  });

  router.post('/:id/roles', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const clientId = String(ctx.params.id);
    const role = text(ctx, 'role', 100);
    const unassign = text(ctx, 'unassign', 10) === 'yes';
    const base = `/admin/tenants/${tenant.slug}/clients/${encodeURIComponent(clientId)}`;
    try {
      await clientAdmin.get(tenant.id, clientId);
      await rbac.getRole(ref(tenant), role);
      await (unassign ? rbac.unassignClientRoles(ref(tenant), clientId, [role]) : rbac.assignClientRoles(ref(tenant), clientId, [role]));
    } catch (error) {
      return kit.done(ctx, base, await kit.formError(ctx, error), true);
    }
    await kit.audit(ctx, tenant.id, unassign ? 'admin.client_role_unassigned' : 'admin.client_role_assigned', { clientId, subject: clientId, data: { role } });
    await kit.done(ctx, base, { key: unassign ? 'console.common.roleRemoved' : 'console.common.roleAssigned', vars: { role } });
  });

  return router;
}
