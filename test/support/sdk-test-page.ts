// A page on its own origin that loads the built app SDK (dist/src/sdk bundled by esbuild, as an app's bundler
// would) and puts it on `window.sdk`; `window.makeClient(issuer)` creates the page's client with MFA and passkeys,
// counting the refresh requests this page sends in `window.refreshes`. holdRefresh/releaseRefresh and
// holdChannel/releaseChannel make a slow request or a late tab on demand, without timing. The same page answers at
// `confirmPath`, where a sign-in link leads.
import { createServer, type Server } from 'node:http';
import { bundleSdk } from './sdk-bundle.js';
import { freePort } from './tessera-process.js';

const page = `<!doctype html><html lang="en"><title>SDK test page</title>
<script type="module">
import * as sdk from '/sdk.js';
window.sdk = sdk;
window.refreshes = 0;
// holdRefresh(): this page's refresh requests wait (counted, not sent) until releaseRefresh()
let refreshGate = null;
window.holdRefresh = () => { refreshGate = new Promise((resolve) => { window.releaseRefresh = () => { refreshGate = null; resolve(); }; }); };
const counting = (input, init) => {
  if (!String(input).endsWith('/v1/auth/refresh')) return fetch(input, init);
  window.refreshes++;
  return refreshGate ? refreshGate.then(() => fetch(input, init)) : fetch(input, init);
};
// holdChannel(): a tab whose BroadcastChannel is as late as can be — nothing it posts leaves and nothing posted
// reaches it until releaseChannel(), which delivers all of it in order
const held = [];
let channelHeld = false;
window.holdChannel = () => { channelHeld = true; };
window.releaseChannel = () => { channelHeld = false; held.splice(0).forEach((deliver) => deliver()); };
const NativeChannel = BroadcastChannel;
window.BroadcastChannel = class LateChannel extends NativeChannel {
  postMessage(message) { if (channelHeld) held.push(() => super.postMessage(message)); else super.postMessage(message); }
  set onmessage(listener) { super.onmessage = (event) => { if (channelHeld) held.push(() => listener(event)); else listener(event); }; }
  get onmessage() { return super.onmessage; }
};
window.makeClient = (issuer) => {
  window.client = sdk.withPasskeys(sdk.withMfa(sdk.createClient({ issuer, clientId: 'tessera-rest', fetch: counting })));
  window.events = [];
  window.client.auth.onAuthStateChange((event) => window.events.push(event));
  return true;
};
window.ready = true;
</script></html>`;

/** the app's page a sign-in link leads to (a redirect URI the tenant registers): the same page, which reads its own URL */
export const confirmPath = '/auth/confirm';

/** started before the tenant is configured, so its origin can be allowed (headless.allowedOrigins) */
export async function startSdkTestPage() {
  const bundle = await bundleSdk({ contents: "export * from './index.js'; export * from './mfa.js'; export * from './passkeys.js';" }, false);
  const port = await freePort();
  // localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party id
  const origin = `http://localhost:${port}`;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/sdk.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    if (path === '/' || path === confirmPath) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
