// Development only: where the demo client's sign-in lands, so the printed authorization URL works end to end.
// The exchange command it shows is built from the server's configuration (PUBLIC_URL), never from the request:
// in Koa 3 ctx.origin is the request's Origin header, null on a navigation.
import Router from '@koa/router';
import type { Pages } from '../http/pages.js';
import { issuerFor } from '../tenants/issuer.js';
import { demoCallbackPath, demoSlug } from './demo.service.js';

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 2048) : null);
/** a value the shell takes literally, whatever the query string held */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function demoRoutes(deps: { pages: Pages; publicUrl: URL }) {
  const router = new Router({ prefix: '/demo' });
  const redirectUri = `${deps.publicUrl.origin}${demoCallbackPath}`;
  const issuer = issuerFor(deps.publicUrl, demoSlug);
  router.get('/callback', async (ctx) => {
    const code = text(ctx.query.code);
    const command = code === null ? null : [
      'curl -s -u "$CLIENT_ID:$CLIENT_SECRET" \\',
      '  -d grant_type=authorization_code \\',
      `  --data-urlencode code=${shellQuote(code)} \\`,
      `  --data-urlencode redirect_uri=${shellQuote(redirectUri)} \\`,
      `  ${shellQuote(`${issuer}/token`)}`,
    ].join('\n');
    await deps.pages.render(ctx, 'demo-callback', {
      tenant: null,
      title: 'home.callbackTitle',
      data: { code, command, state: text(ctx.query.state), error: text(ctx.query.error), errorDescription: text(ctx.query.error_description) },
    });
  });
  router.get('/signed-out', async (ctx) => {
    await deps.pages.render(ctx, 'logged-out', { tenant: null, title: 'logout.doneTitle', data: { clientName: 'Demo App' } });
  });
  return router;
}
