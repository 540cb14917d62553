// What an operator with licenses:write does to one license in the console (issue #20): revoke the key, release one
// device's seat, extend (more days, an end date, or perpetual), transfer to another user (or to none). Each is the
// licensing service's own operation, audited there with the operator as actor; the page comes back with what happened
// or why it was refused.
import Router from '@koa/router';
import type { Context } from 'koa';
import { extendSchema } from '../licenses/license-inputs.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit, ConsoleMessage } from './admin-kit.js';
import { confirmed, notConfirmed, text } from './admin-kit.js';
import { checked, parseForm, userOf, whole } from './license-forms.js';
import { licensesBase } from './licenses.routes.js';

/** "valid through" a UTC date: the license ends as that day does; anything else as typed, for the schema to refuse */
function endOf(day: string): string {
  const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  // Date.parse rolls 2031-02-30 over into March: a day that does not come back as typed is no day
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) return day;
  return new Date(start + 86_400_000).toISOString();
}

export function licenseActionsRoutes(kit: AdminKit) {
  const { services } = kit;
  const admin = services.licenses.admin;
  const router = new Router({ prefix: '/admin/tenants/:slug/licenses/:id' });

  /**
   * checks the operator and the form (a destructive one's box ticked), runs the action, and comes back to the license
   * with its message or refusal
   */
  async function act(ctx: Context, action: (tenant: TenantSummary, id: string) => Promise<ConsoleMessage>, options: { destructive?: boolean } = {}) {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const id = String(ctx.params.id);
    const back = `${licensesBase(tenant)}?license=${encodeURIComponent(id)}`;
    if (options.destructive && !confirmed(ctx)) return kit.done(ctx, back, notConfirmed, true);
    let message: ConsoleMessage;
    try {
      message = await action(tenant, id);
    } catch (error) {
      return kit.done(ctx, back, await kit.formError(ctx, error), true);
    }
    await kit.done(ctx, back, message);
  }

  router.post('/revoke', (ctx) => act(ctx, async (tenant, id) => {
    const revoked = await admin.revoke(tenant, id, kit.actor(ctx));
    return { key: 'console.licenses.revoked', vars: { hint: revoked.license.key_hint, count: revoked.released } };
  }, { destructive: true }));

  router.post('/activations/:activation/revoke', (ctx) => act(ctx, async (tenant, id) => {
    await admin.revokeActivation(tenant, id, String(ctx.params.activation), kit.actor(ctx));
    return { key: 'console.licenses.seatReleased' };
  }));

  router.post('/extend', (ctx) => act(ctx, async (tenant, id): Promise<ConsoleMessage> => {
    const until = text(ctx, 'until', 20);
    const input = { days: whole(ctx, 'days'), expires_at: until ? endOf(until) : undefined, perpetual: checked(ctx, 'perpetual') || undefined };
    const body = parseForm(extendSchema, Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)), await kit.words(ctx), { labels: { days: 'console.licenses.extendDays' } });
    const license = await admin.extend(tenant, id, body, kit.actor(ctx));
    return license.expires_at
      ? { key: 'console.licenses.extended', vars: { hint: license.key_hint, end: license.expires_at } }
      : { key: 'console.licenses.extendedPerpetual', vars: { hint: license.key_hint } };
  }));

  // the devices activated so far lose their seats: a destructive form
  router.post('/transfer', (ctx) => act(ctx, async (tenant, id) => {
    const typed = text(ctx, 'user', 320);
    const moved = await admin.transfer(tenant, id, await userOf(typed, (email) => services.users.findByEmail(tenant.id, email)), kit.actor(ctx));
    const user = typed || (await kit.words(ctx)).t('console.licenses.nobody');
    return { key: 'console.licenses.transferred', vars: { hint: moved.license.key_hint, user, count: moved.released } };
  }, { destructive: true }));

  return router;
}
