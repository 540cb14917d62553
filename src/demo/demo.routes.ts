// Development only: where the demo client's sign-in lands, so the printed authorization URL works end to end.
// The exchange command it shows is built from the server's configuration (PUBLIC_URL), never from the request:
// in Koa 3 ctx.origin is the request's Origin header, null on a navigation.
import Router from '@koa/router';
import type { Pages } from '../http/pages.js';
import { issuerFor } from '../tenants/issuer.js';
import { demoCallbackPath, demoSlug } from './demo.service.js';

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 2048) : null);
/** the authorization errors (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) the page explains in words; others get a general text */
const explained = new Set(['access_denied', 'login_required', 'consent_required', 'interaction_required', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'server_error', 'temporarily_unavailable']);
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
    // an error reads as a catalogue text; the provider's own code and description stay as a small technical detail
    const error = text(ctx.query.error);
    await deps.pages.render(ctx, 'demo-callback', {
      tenant: null,
      title: 'home.callbackTitle',
      data: {
        code, command, state: text(ctx.query.state), error, errorDescription: text(ctx.query.error_description),
        errorText: error === null ? null : `home.demoErrors.${explained.has(error) ? error : 'fallback'}`,
      },
    });
  });
  router.get('/signed-out', async (ctx) => {
    await deps.pages.render(ctx, 'logged-out', { tenant: null, title: 'logout.doneTitle', data: { clientName: 'Demo App' } });
  });
  return router;
}
