// GET/POST /admin/setup: the first-run page (issue #14). While the installation has no owner, it makes one: from this
// machine (the socket peer is loopback and no proxy header came along: http/client-address.ts, as for the outbox)
// without more, from anywhere else with the one-time setup token Tessera printed at start. Once an owner exists the
// page is gone (404). Its form is bound to a cookie of this browser, and cross-origin posts are refused (csrf.ts).
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { field } from '../interactions/interaction-context.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { AdminKit } from './admin-kit.js';
import { passwordTooLong, text } from './admin-kit.js';

const setupCookie = 'tessera.setup';

export function firstOwnerRoutes(kit: AdminKit) {
  const { services, csrf, publicUrl } = kit.deps;
  const router = new Router({ prefix: '/admin' });
  const https = publicUrl.protocol === 'https:';
  const local = (ctx: Context) => ctx.state.localRequest === true;

  /** this browser's setup binding: made on the first visit, kept for the hour a token lives */
  function binding(ctx: Context, create: boolean): string | null {
    let value = ctx.cookies.get(setupCookie, { signed: true }) ?? null;
    if (!value && create) {
      value = randomBytes(18).toString('base64url');
      ctx.cookies.set(setupCookie, value, { path: '/admin/setup', httpOnly: true, sameSite: 'strict', secure: https, signed: true, maxAge: 3600_000 });
    }
    return value;
  }

  async function page(ctx: Context, form: { email?: string; name?: string; error?: string | null } = {}, status = 200) {
    const bound = binding(ctx, true)!;
    ctx.set('Cache-Control', 'no-store');
    await kit.render(ctx, 'setup', {
      title: 'console.setup.title', status,
      data: { setupCsrf: csrf.token(`admin-setup:${bound}`), needsToken: !local(ctx), form: { email: form.email ?? '', name: form.name ?? '' }, formError: form.error ?? null },
    });
  }

  async function gone() {
    if (await services.firstOwner.ownerExists()) throw new AppError('route.not_found');
  }

  router.get('/setup', async (ctx) => {
    await gone();
    await page(ctx);
  });

  router.post('/setup', async (ctx) => {
    await gone();
    const bound = binding(ctx, false);
    csrf.verify(ctx, `admin-setup:${bound ?? ''}`, bound ? field(ctx, '_csrf') : '');
    const form = { email: text(ctx, 'email', 254), name: text(ctx, 'name', 200) };
    const password = field(ctx, 'password');
    let made;
    try {
      if (password.length > 128) throw passwordTooLong();
      made = await services.firstOwner.create({ email: form.email, password, ...(form.name ? { name: form.name } : {}) }, { local: local(ctx), token: text(ctx, 'token', 100) });
    } catch (error) {
      const message = await kit.formError(ctx, error);
      return page(ctx, { ...form, error: message }, error instanceof AppError ? error.status : 400);
    }
    await recordAdminAction(services.audit, {
      tenantId: made.tenantId, type: 'admin.first_owner_created', actor: local(ctx) ? 'setup:local' : 'setup:token', subject: made.user.id,
      ip: ctx.ip, userAgent: ctx.get('User-Agent') || null, data: { role: 'owner' },
    });
    ctx.cookies.set(setupCookie, '', { path: '/admin/setup', maxAge: 0 });
    ctx.status = 303;
    ctx.redirect('/admin/sign-in');
  });

  return router;
}
