// GET /admin/tenants/{slug}/outbox: the messages a tenant recorded instead of (or as well as) sending them, with
// their codes and links, for an operator who may manage the tenant's users. The hosted /t/{slug}/outbox answers
// this machine only (issue #13, finding 7); this is how everyone else reads it. Never the system tenant's: its
// codes are the installation's operators' own.
import Router from '@koa/router';
import { AppError } from '../errors/app-error.js';
import { systemSlug } from '../tenants/issuer.js';
import type { AdminKit } from './admin-kit.js';
import { keepsOutbox, outboxPermission } from './outbox-access.js';

export function tenantOutboxRoutes(kit: AdminKit) {
  const { services } = kit;
  const router = new Router({ prefix: '/admin/tenants/:slug' });

  router.get('/outbox', async (ctx) => {
    if (ctx.params.slug === systemSlug) throw new AppError('route.not_found');
    const tenant = await kit.tenant(ctx, outboxPermission);
    if (!keepsOutbox(services.config.env, tenant)) throw new AppError('route.not_found');
    const entries = await services.outbox.list(tenant.id);
    // live codes and links: never cached by the browser or anything in between
    ctx.set('Cache-Control', 'no-store');
    await kit.render(ctx, 'outbox', { title: 'console.outbox.title', tenant, section: 'outbox', data: { entries } });
  });

  return router;
}
