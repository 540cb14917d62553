// The admin console at /admin (issue #6): server-rendered pages, no script needed. Builds its session store,
// renderers and page groups, and answers every refusal below it with a console page rather than the hosted one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import compose from 'koa-compose';
import type { Context, Middleware, Next } from 'koa';
import type { Services } from '../services.js';
import type { Csrf } from '../interactions/csrf.js';
import { formBody, unusableCharacter } from '../interactions/interaction-context.js';
import { inputProblem } from '../validation/input-rules.js';
import { createPageRenderer, viewsDir } from '../http/page-renderer.js';
import { AppError } from '../errors/app-error.js';
import { toAppError } from '../http/error-handler.js';
import { createSealer } from '../crypto/sealing.js';
import { adminAssets, consoleRefusal, createAdminKit, refusalText, type AdminKit } from './admin-kit.js';
import { createAdminSessions } from './admin-session.js';
import { adminSignInRoutes } from './admin-sign-in.routes.js';
import { tenantsRoutes } from './tenants.routes.js';
import { rbacRoutes } from './rbac.routes.js';
import { keysAuditRoutes } from './keys-audit.routes.js';
import { licensesRoutes } from './licenses.routes.js';
import { appsRoutes } from './apps.routes.js';
import { licenseActionsRoutes } from './license-actions.routes.js';
import { environmentsRoutes } from './environments.routes.js';
import { brandingRoutes } from './branding.routes.js';
import { policiesRoutes } from './policies.routes.js';
import { usersRoutes } from './users.routes.js';
import { clientsRoutes } from './clients.routes.js';
import { tenantOutboxRoutes } from './tenant-outbox.routes.js';
import { firstOwnerRoutes } from './first-owner.routes.js';

// Files under views/assets the console serves: its stylesheet and the branding form's optional live preview.
const assets: Record<string, string> = { 'admin.css': 'text/css', 'admin-preview.js': 'text/javascript' };

function assetRoutes(): Middleware {
  const cache = new Map<string, Promise<string>>();
  return async function serveAdminAsset(ctx, next) {
    const name = ctx.path.startsWith(`${adminAssets}/`) ? ctx.path.slice(adminAssets.length + 1) : '';
    if (ctx.method !== 'GET' || !Object.hasOwn(assets, name)) return next();
    if (!cache.has(name)) cache.set(name, readFile(join(viewsDir, 'assets', name), 'utf8'));
    ctx.type = assets[name]!;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = await cache.get(name);
  };
}

function consoleErrors(kit: AdminKit): Middleware {
  return async function renderConsoleErrors(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new AppError('route.not_found');
    } catch (thrown) {
      const status = (thrown as { status?: unknown })?.status;
      const error = typeof status === 'number' && status >= 400 && status < 500 && !(thrown instanceof AppError)
        ? new AppError(status === 413 ? 'request.too_large' : 'request.invalid')
        : toAppError(thrown);
      if (!error) throw thrown;
      const words = await kit.words(ctx);
      await kit.render(ctx, 'problem', {
        title: 'console.problem.title', status: error.status,
        data: { heading: words.t(error.status === 403 ? 'console.problem.notAllowed' : 'console.problem.couldNot'), message: refusalText(error, words), requestId: ctx.state.requestId ?? null },
      });
    }
  };
}

/**
 * Every router of the console: sign-in, the first-run page (before any session), and the pages behind the session.
 * Building them only registers routes (the kit is used per request), so the hostile-input sweep
 * (test/integration/bad-input-forms.test.ts) lists the console's forms from here.
 */
export function consoleRouters(kit: AdminKit) {
  return {
    signIn: adminSignInRoutes(kit),
    firstOwner: firstOwnerRoutes(kit),
    pages: [environmentsRoutes(kit), tenantsRoutes(kit), rbacRoutes(kit), keysAuditRoutes(kit), brandingRoutes(kit), policiesRoutes(kit), usersRoutes(kit), clientsRoutes(kit), appsRoutes(kit), tenantOutboxRoutes(kit), licensesRoutes(kit), licenseActionsRoutes(kit)],
  };
}

export function adminRoutes(services: Services, options: { csrf: Csrf; publicUrl: URL; cacheViews: boolean }): Middleware {
  // its own sealer from the installation's key-encryption keys: only this process ever opens what it seals
  const sessions = createAdminSessions({ store: services.store, sealer: createSealer(services.config.keyEncryptionKeys), https: options.publicUrl.protocol === 'https:' });
  const kit = createAdminKit({
    services, sessions, csrf: options.csrf, publicUrl: options.publicUrl,
    adminViews: createPageRenderer({ viewsDir: join(viewsDir, 'admin'), cache: options.cacheViews }),
    hostedViews: createPageRenderer({ viewsDir, cache: options.cacheViews }),
  });
  const { signIn, firstOwner, pages } = consoleRouters(kit);
  const handle = compose<Context>([
    consoleErrors(kit),
    assetRoutes(),
    // the console's filters and cursors come in the query: the same rules as its forms
    async (ctx: Context, next: Next) => {
      if (inputProblem(ctx.query)) throw consoleRefusal('request.invalid', 'console.common.unusableCharacter', unusableCharacter);
      return ctx.method === 'POST' ? formBody(ctx, next) : next();
    },
    signIn.router.routes() as Middleware,
    // before the session check: there is nobody to sign in yet
    firstOwner.routes() as Middleware,
    signIn.authenticate,
    ...pages.map((router) => router.routes() as Middleware),
  ]);
  return async function adminConsole(ctx, next) {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next();
    await handle(ctx, async () => undefined);
  };
}
