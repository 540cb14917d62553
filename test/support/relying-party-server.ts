// A relying party with a real web server for the Chromium tests: /callback finishes the authorization request it
// started (found by state) with openid-client, shows who signed in, and settles that request's promise.
import { createServer, type Server } from 'node:http';
import { authorizationRequest, oidc, type AuthorizationRequest } from './relying-party.js';
import { freePort } from './tessera-process.js';

export interface SignedIn { sub: string; claims: oidc.IDToken; tokens: oidc.TokenEndpointResponse }

export async function startRelyingParty() {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const pending = new Map<string, { config: oidc.Configuration; request: AuthorizationRequest; done(result: SignedIn | Error): void }>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', redirectUri);
      // response_mode=form_post (OAuth 2.0 Form Post Response Mode) delivers the response as a POSTed form
      let callback: URL | Request = url;
      let state = url.searchParams.get('state') ?? '';
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString();
        state = new URLSearchParams(body).get('state') ?? '';
        callback = new Request(url, { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body });
      }
      const flow = pending.get(state);
      if (url.pathname !== '/callback' || !flow) return void res.writeHead(404).end('unknown callback');
      pending.delete(state);
      try {
        const tokens = await oidc.authorizationCodeGrant(flow.config, callback, {
          pkceCodeVerifier: flow.request.codeVerifier, expectedState: flow.request.state, expectedNonce: flow.request.nonce, idTokenExpected: true,
        });
        const claims = tokens.claims()!;
        flow.done({ sub: claims.sub, claims, tokens });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>RP</title><h1>Signed in as ${claims.sub}</h1>`);
      } catch (error) {
        flow.done(error as Error);
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`sign-in failed: ${(error as Error).message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    redirectUri,
    /** starts an authorization request; `result` settles when the browser reaches the callback */
    async begin(config: oidc.Configuration, params: Record<string, string> = {}) {
      const request = await authorizationRequest(config, redirectUri, params);
      const result = new Promise<SignedIn>((resolve, reject) => {
        pending.set(request.state, { config, request, done: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      });
      result.catch(() => undefined);
      return { url: request.url, result };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
