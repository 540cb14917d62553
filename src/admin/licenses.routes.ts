// The console's licenses page (issue #20): a tenant's products with their policies, its licenses (filtered by
// product and status, newest first), and one license's activations with their last heartbeat. Operators with
// licenses:write revoke a key or one activation here; issuing keys stays with the CLI and the Management API, where
// a key is shown once to whoever asked for it.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminKit } from './admin-kit.js';
import { confirmed, notConfirmed } from './admin-kit.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const statuses = ['active', 'revoked', 'expired'] as const;

export function licensesRoutes(kit: AdminKit) {
  const { services } = kit;
  const admin = services.licenses.admin;
  const router = new Router({ prefix: '/admin/tenants/:slug' });
  const q = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim().slice(0, 512) : '');

  router.get('/licenses', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:read');
    const form = { product: q(ctx, 'product'), status: q(ctx, 'status') };
    const products = await admin.listProducts(tenant);
    const cursor = q(ctx, 'cursor');
    const page = await admin.search(tenant, {
      limit: 50, ...(uuid.test(form.product) ? { product_id: form.product } : {}),
      ...((statuses as readonly string[]).includes(form.status) ? { status: form.status as (typeof statuses)[number] } : {}),
      ...(cursor ? { cursor } : {}),
    }).catch(() => ({ items: [], next_cursor: null }));
    const selectedId = q(ctx, 'license');
    const selected = uuid.test(selectedId) ? await admin.get(tenant, selectedId).catch(() => null) : null;
    const names = new Map(products.map((p) => [p.id, p.name]));
    await kit.render(ctx, 'licenses', {
      title: 'console.licenses.title', tenant, section: 'licenses',
      data: {
        products, form, statuses,
        licenses: page.items.map((l) => ({ ...l, product: names.get(l.product_id) ?? l.product_id })),
        selected, canWrite: kit.can(kit.operatorOf(ctx), 'licenses:write'),
        nextUrl: page.next_cursor ? `?${new URLSearchParams({ ...form, cursor: page.next_cursor })}` : null,
        firstUrl: cursor ? `?${new URLSearchParams(form)}` : null,
      },
    });
  });

  router.post('/licenses/:id/revoke', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const back = `/admin/tenants/${tenant.slug}/licenses?license=${encodeURIComponent(ctx.params.id!)}`;
    if (!confirmed(ctx)) return kit.done(ctx, back, notConfirmed, true);
    try {
      const revoked = await admin.revoke(tenant, ctx.params.id!, kit.actor(ctx));
      await kit.done(ctx, back, { key: 'console.licenses.revoked', vars: { hint: revoked.license.key_hint, count: revoked.released } });
    } catch (error) {
      await kit.done(ctx, back, await kit.formError(ctx, error), true);
    }
  });

  router.post('/licenses/:id/activations/:activation/revoke', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const back = `/admin/tenants/${tenant.slug}/licenses?license=${encodeURIComponent(ctx.params.id!)}`;
    try {
      await admin.revokeActivation(tenant, ctx.params.id!, ctx.params.activation!, kit.actor(ctx));
      await kit.done(ctx, back, { key: 'console.licenses.seatReleased' });
    } catch (error) {
      await kit.done(ctx, back, await kit.formError(ctx, error), true);
    }
  });

  return router;
}
