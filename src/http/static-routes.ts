// Small fixed routes: the stylesheet of the hosted pages, the default brand colours, and health checks.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
import { brandingCss, defaultBranding } from '../tenants/branding.js';
import { viewsDir } from './page-renderer.js';
import { assetsPath } from './pages.js';

export const healthPath = '/healthz';

export function staticRoutes(deps: { checks: () => Promise<void> }) {
  const router = new Router();
  let stylesheet: Promise<string> | undefined;

  router.get(`${assetsPath}/tessera.css`, async (ctx) => {
    stylesheet ??= readFile(join(viewsDir, 'assets', 'tessera.css'), 'utf8');
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = await stylesheet;
  });
  router.get(`${assetsPath}/brand.css`, (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = brandingCss(defaultBranding);
  });
  // Load balancers ask with their own Host header: this path is exempt from the host guard.
  router.get(healthPath, async (ctx) => {
    try {
      await deps.checks();
      ctx.body = { status: 'ok' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
    }
  });
  return router;
}
