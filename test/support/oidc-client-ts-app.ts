// A single-page app on its own origin that signs in with oidc-client-ts as its README shows: UserManager with
// authority, client_id, redirect_uri and scope; signinRedirect(), then signinCallback() on the callback page.
// The callback page puts what the library hands the app (user.profile, the refresh token's presence) and the
// outcome of revokeTokens() on `window.outcome` for the test to read.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './tessera-process.js';

export interface SpaOutcome { name?: string; email?: string; hasRefreshToken?: boolean; revoked?: boolean; error?: string }

// the package exports only its modules; its browser bundle (global `oidc`) sits beside them
const packageDir = dirname(createRequire(import.meta.url).resolve('oidc-client-ts/package.json'));
const library = readFileSync(join(packageDir, 'dist/browser/oidc-client-ts.min.js'), 'utf8');

/** started first, so its origin can be registered; `configure` then gives it its client */
export async function startOidcClientTsApp() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let managerSettings = '{}';
  const page = (script: string) => `<!doctype html><title>SPA</title><script src="/oidc-client-ts.js"></script><script>
const manager = new oidc.UserManager(${managerSettings});
${script}
</script>`;
  const pages: Record<string, () => string> = {
    '/': () => page('window.start = () => manager.signinRedirect();'),
    '/callback': () => page(`window.outcome = manager.signinCallback().then(async (user) => {
  const seen = { name: user.profile.name, email: user.profile.email, hasRefreshToken: !!user.refresh_token };
  try { await manager.revokeTokens(); seen.revoked = true; } catch (e) { seen.error = 'revokeTokens: ' + e.message; }
  return seen;
}, (e) => ({ error: 'signinCallback: ' + e.message }));`),
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/oidc-client-ts.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(library);
    const html = pages[path];
    if (!html) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    redirectUri: `${origin}/callback`,
    configure(settings: { authority: string; clientId: string; scope: string }) {
      managerSettings = JSON.stringify({ authority: settings.authority, client_id: settings.clientId, redirect_uri: `${origin}/callback`, scope: settings.scope });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
