// `/` and `/favicon.ico`. In development the home page is where a newcomer starts: the demo sign-in, the console,
// the outbox, the docs, and how to reach the server from another machine on purpose. In production it is a
// minimal page, or a redirect to where the operator wants visitors (HOME_REDIRECT_URL).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Router from '@koa/router';
import type { Pages } from './pages.js';
import { viewsDir } from './page-renderer.js';

export interface HomeRoutesDeps {
  pages: Pages;
  development: boolean;
  publicUrl: URL;
  redirectUrl: string | undefined;
  /** a fresh authorization URL for the demo client, or null when there is no demo */
  demoSignInUrl(): Promise<string | null>;
  /** whether the console has an owner yet (until then the home page points at /admin/setup) */
  ownerExists(): Promise<boolean>;
}

const readmePath = resolve(viewsDir, '..', 'README.md');

export function homeRoutes(deps: HomeRoutesDeps) {
  const router = new Router();
  let favicon: Promise<Buffer> | undefined;

  router.get('/', async (ctx) => {
    if (deps.redirectUrl) {
      ctx.redirect(deps.redirectUrl);
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    await deps.pages.render(ctx, deps.development ? 'home' : 'home-minimal', {
      tenant: null,
      title: deps.development ? 'home.title' : 'Tessera',
      data: deps.development
        ? {
          origin: deps.publicUrl.origin, demoIssuer: `${deps.publicUrl.origin}/t/demo`,
          elsewhereCommand: `HOST=0.0.0.0 PUBLIC_URL=http://<this machine's address>:${deps.publicUrl.port || (deps.publicUrl.protocol === 'https:' ? 443 : 80)} npm start`,
          demoSignInUrl: await deps.demoSignInUrl(), needsOwner: !(await deps.ownerExists()),
        }
        : {},
    });
  });
  // browsers ask for it on every first visit: a 404 there reads as something broken
  router.get('/favicon.ico', async (ctx) => {
    favicon ??= readFile(join(viewsDir, 'assets', 'favicon.ico'));
    ctx.type = 'image/x-icon';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = await favicon;
  });
  if (deps.development) {
    router.get('/docs', async (ctx) => {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = await readFile(readmePath, 'utf8');
    });
  }
  return router;
}
