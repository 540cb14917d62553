// Small fixed routes: the stylesheet of the hosted pages and the default brand colours.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
import { brandingCss, defaultBranding } from '../tenants/branding.js';
import { viewsDir } from './page-renderer.js';
import { assetsPath } from './pages.js';

export function staticRoutes() {
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
  return router;
}
