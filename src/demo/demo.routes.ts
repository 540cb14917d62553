// Development only: where the demo client's sign-in lands, so the printed authorization URL works end to end.
import Router from '@koa/router';
import type { Pages } from '../http/pages.js';

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 2048) : null);

export function demoRoutes(pages: Pages) {
  const router = new Router({ prefix: '/demo' });
  router.get('/callback', async (ctx) => {
    await pages.render(ctx, 'demo-callback', {
      tenant: null,
      title: 'Demo sign-in result',
      data: { code: text(ctx.query.code), state: text(ctx.query.state), issuer: text(ctx.query.iss), error: text(ctx.query.error), errorDescription: text(ctx.query.error_description), redirectUri: `${ctx.origin}/demo/callback` },
    });
  });
  router.get('/signed-out', async (ctx) => {
    await pages.render(ctx, 'logged-out', { tenant: null, title: 'Signed out', data: { clientName: 'Demo App' } });
  });
  return router;
}
