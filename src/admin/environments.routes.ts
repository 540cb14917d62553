// A tenant's environments in the console (issue #19): the list (each links to its own console pages, which are the
// tenant pages under the environment's slug), creating one, and promotion: the diff first, applied on confirmation.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { splitSlug } from '../tenants/environment-names.js';
import type { PromotionResult } from '../tenants/promotion.service.js';
import type { AdminKit } from './admin-kit.js';
import { text } from './admin-kit.js';

export function environmentsRoutes(kit: AdminKit) {
  const { services } = kit;
  const router = new Router({ prefix: '/admin/tenants/:slug/environments' });

  async function page(ctx: Context, options: { formError?: string | null; promotion?: PromotionResult | null; status?: number } = {}) {
    const tenant = await kit.tenant(ctx, 'tenants:read');
    const owner = splitSlug(tenant.slug).tenant;
    const environments = await services.environments.list(owner);
    await kit.render(ctx, 'environments', {
      title: 'console.environments.title', tenant, section: 'environments', status: options.status ?? 200,
      data: { owner, environments, canWrite: kit.can(kit.operatorOf(ctx), 'tenants:write'), formError: options.formError ?? null, promotion: options.promotion ?? null },
    });
  }

  router.get('/', (ctx) => page(ctx));

  router.post('/', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'tenants:write');
    kit.verifyCsrf(ctx);
    const owner = splitSlug(tenant.slug).tenant;
    try {
      const created = await services.environments.create(owner, text(ctx, 'name', 40));
      await kit.audit(ctx, (await services.tenants.get(owner)).id, 'admin.environment_created', { subject: `environment:${created.environment}`, data: { slug: created.slug, issuer: created.issuer } });
      await kit.done(ctx, `/admin/tenants/${tenant.slug}/environments`, { key: 'console.environments.created', vars: { name: created.environment, issuer: created.issuer } });
    } catch (error) {
      if (error instanceof AppError && error.code.startsWith('environment.')) return page(ctx, { formError: await kit.formError(ctx, error), status: 400 });
      throw error;
    }
  });

  // without `apply` the diff is shown with a button that applies it; with it, applied in one transaction
  router.post('/promote', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'tenants:write');
    kit.verifyCsrf(ctx);
    const owner = splitSlug(tenant.slug).tenant;
    const [from, to, apply] = [text(ctx, 'from', 40), text(ctx, 'to', 40), text(ctx, 'apply', 5) === 'yes'];
    let result: PromotionResult;
    try {
      result = await services.promotion.promote(owner, from, to, apply);
    } catch (error) {
      if (error instanceof AppError && (error.code.startsWith('environment.') || error.code === 'request.invalid')) return page(ctx, { formError: await kit.formError(ctx, error), status: 400 });
      throw error;
    }
    if (!result.applied) return page(ctx, { promotion: result });
    const target = await services.environments.resolve(owner, to);
    const { diff } = result;
    await kit.audit(ctx, (await services.tenants.get(target.slug)).id, 'admin.environment_promoted', {
      subject: `environment:${to}`, data: { from, to, settings: diff.settings.map((s) => s.path), apis: diff.apis.map((a) => a.name), roles: diff.roles.map((r) => r.name), clients: diff.clients.map((c) => c.name) },
    });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/environments`, { key: 'console.environments.promoted', vars: { from, to, settings: diff.settings.length, apis: diff.apis.length, roles: diff.roles.length, clients: diff.clients.length } });
  });

  return router;
}
