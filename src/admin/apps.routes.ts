// A tenant's apps of the backend OTP API (issue #16 §2): list them, register one (name and slug, as
// `tessera app create` and POST /api/tenants/{slug}/apps), see what its backend needs (app_id, app_slug, the RS256
// public key and the JWKS URI; app_secret once, right after creation or rotation: admin-session.ts keepSecret), rotate
// the secret and delete the app. An app is a client with the headless capability, so this is the clients service.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { currentRsaPem } from '../tenants/app-public-key.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit } from './admin-kit.js';
import { confirmed, notConfirmed, text } from './admin-kit.js';

export function appsRoutes(kit: AdminKit) {
  const { services } = kit;
  const { clientAdmin, clients } = services;
  const router = new Router({ prefix: '/admin/tenants/:slug/apps' });
  const pageOf = (tenant: TenantSummary, id?: string) => `/admin/tenants/${tenant.slug}/apps${id ? `/${encodeURIComponent(id)}` : ''}`;

  /** the app `id` of the tenant; a client without the headless capability is no app here @throws AppError('client.not_found') */
  async function appOf(tenant: TenantSummary, id: string) {
    const client = await clientAdmin.get(tenant.id, id);
    if (client.headless !== true) throw new AppError('client.not_found');
    return client;
  }

  async function list(ctx: Context, form: Record<string, string> = {}, status = 200) {
    const tenant = await kit.tenant(ctx, 'clients:read');
    const apps = (await clientAdmin.list(tenant.id)).filter((c) => c.headless === true)
      .sort((a, b) => String(a.app_slug).localeCompare(String(b.app_slug)));
    await kit.render(ctx, 'apps', {
      title: 'console.apps.title', tenant, section: 'apps', status,
      data: { apps, form, canWrite: kit.can(kit.operatorOf(ctx), 'clients:write') },
    });
  }

  router.get('/', (ctx) => list(ctx));

  router.post('/', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const form = { name: text(ctx, 'name', 100), slug: text(ctx, 'slug', 40), origins: text(ctx, 'origins', 2000) };
    const allowedOrigins = form.origins.split(/\s+/).filter(Boolean);
    let created;
    try {
      if (!form.name || !form.slug) throw new AppError('request.invalid', 'Give the app a name and a slug.');
      created = await clients.create(tenant.id, { name: form.name, headless: { appSlug: form.slug, tenantSlug: tenant.slug, allowedOrigins } }, await services.clientValidator(tenant.slug));
    } catch (error) {
      return list(ctx, { ...form, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.client_created', { clientId: created.client_id, subject: created.client_id, data: { grant_types: created.grant_types, headless: true } });
    await kit.deps.sessions.keepSecret(kit.operatorOf(ctx).session, `${tenant.id}:${created.client_id}`, created.client_secret!);
    await kit.done(ctx, pageOf(tenant, created.client_id), { key: 'console.apps.created', vars: { slug: form.slug } });
  });

  router.get('/:id', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:read');
    const app = await appOf(tenant, String(ctx.params.id));
    const secret = await kit.deps.sessions.takeSecret(kit.operatorOf(ctx).session, `${tenant.id}:${app.client_id}`);
    await kit.render(ctx, 'app', {
      title: '', titleText: String(app.client_name), tenant, section: 'apps',
      data: {
        app, secret, publicKey: await currentRsaPem(services.keys, tenant.id).catch(() => null), jwksUri: `${tenant.issuer}/jwks`,
        base: pageOf(tenant, app.client_id), canWrite: kit.can(kit.operatorOf(ctx), 'clients:write'),
      },
    });
  });

  router.post('/:id/rotate-secret', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const app = await appOf(tenant, String(ctx.params.id));
    const rotated = await clientAdmin.rotateSecret(tenant.id, app.client_id);
    await kit.audit(ctx, tenant.id, 'admin.client_secret_rotated', { clientId: app.client_id, subject: app.client_id });
    await kit.deps.sessions.keepSecret(kit.operatorOf(ctx).session, `${tenant.id}:${app.client_id}`, rotated.client_secret);
    await kit.done(ctx, pageOf(tenant, app.client_id), { key: 'console.apps.rotated' });
  });

  router.post('/:id/delete', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'clients:write');
    kit.verifyCsrf(ctx);
    const app = await appOf(tenant, String(ctx.params.id));
    if (!confirmed(ctx)) return kit.done(ctx, pageOf(tenant, app.client_id), notConfirmed, true);
    await clientAdmin.delete(tenant.id, app.client_id);
    await kit.audit(ctx, tenant.id, 'admin.client_deleted', { clientId: app.client_id, subject: app.client_id });
    await kit.done(ctx, pageOf(tenant), { key: 'console.apps.deleted', vars: { slug: String(app.app_slug) } });
  });

  return router;
}
