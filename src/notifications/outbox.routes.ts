// GET /t/{slug}/outbox: the tenant's outbox, newest first — JSON for programs (tests, scripts), a page for
// browsers. It shows live codes and links, so the composition root mounts it only where that is safe
// (development, sandbox tenants); `enabled` lets it refuse the tenants that are not. Even there it answers only
// this machine (issue #13, finding 7: anyone on the network read the codes of an operator's password reset): a
// loopback peer with no proxy in between. Operators read it in the console (/admin/tenants/{slug}/outbox). The
// system tenant's outbox holds the installation's operators' codes: never served over HTTP.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { wantsHtml } from '../http/error-handler.js';
import type { Pages } from '../http/pages.js';
import type { ResolvedTenant } from '../http/tenant-routes.js';
import type { Outbox } from './outbox.js';
import { systemSlug } from '../tenants/issuer.js';

export interface OutboxRoutesDeps {
  outbox: Outbox;
  pages: Pages;
  /** whether this tenant may see its outbox; default: every tenant (mounting the router is the decision) */
  enabled?: (tenant: ResolvedTenant) => boolean;
}

export function outboxRoutes(deps: OutboxRoutesDeps) {
  const router = new Router({ prefix: '/t/:slug' });

  router.get('/outbox', async (ctx: Context) => {
    const tenant = ctx.state.tenant;
    // tenantRoutes resolves the tenant first; a request that got here without one was not routed through it.
    if (!tenant || tenant.slug !== ctx.params.slug) throw new AppError('tenant.not_found');
    if (tenant.slug === systemSlug || (deps.enabled && !deps.enabled(tenant))) throw new AppError('route.not_found');
    if (ctx.state.localRequest !== true) {
      throw new AppError('auth.forbidden', `The outbox is shown only to this machine, or to an operator in the console at /admin/tenants/${tenant.slug}/outbox.`);
    }

    const entries = await deps.outbox.list(tenant.id);
    // Live codes and links: never cached by the browser or anything in between.
    ctx.set('Cache-Control', 'no-store');
    ctx.vary('Accept');
    if (!wantsHtml(ctx)) {
      ctx.body = { entries };
      return;
    }
    await deps.pages.render(ctx, 'outbox', {
      tenant,
      title: 'outbox.title',
      data: { entries },
    });
  });

  return router;
}
