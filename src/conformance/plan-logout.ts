// OpenID Connect RP-Initiated Logout 1.0 and Back-Channel Logout 1.0 (and Front-Channel Logout where offered).
// The back-channel check registers a client whose backchannel_logout_uri is a listener of this harness, so the
// provider must be able to reach it (the issuer's machine, or --backchannel-host).
import { createServer, type Server } from 'node:http';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import type { Harness } from './harness.js';

export async function logoutPlan(h: Harness): Promise<void> {
  const plan = 'logout';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const offered = await check('end_session_endpoint is advertised', () => {
    expect(typeof m.end_session_endpoint === 'string', 'no end_session_endpoint');
    return true;
  });
  if (!offered) return;
  const client = await check('a confidential client with the post-logout redirect URI is configured', () => h.givenClient());
  if (!client || !(await check('a test user is configured for the browser steps', () => { h.needsUser(); return true; }))) return;
  const { postLogoutRedirectUri } = h.options;

  const session = await h.session();
  try {
    await check('logout with id_token_hint and post_logout_redirect_uri: back at the RP with state; the session is gone', async () => {
      const flow = await h.codeFlow(client, session);
      const state = oidc.randomState();
      const url = oidc.buildEndSessionUrl(client, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri, state });
      const back = await session.visit(url, postLogoutRedirectUri, { signIn: false });
      expectEqual(back.params.get('state'), state, 'state');
      const after = await session.visit(oidc.buildAuthorizationUrl(client, { redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', prompt: 'none', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }), h.options.redirectUri, { signIn: false });
      expectEqual(after.params.get('error'), 'login_required', 'prompt=none after logout');
    });
    // signed out by the check above: RP-Initiated Logout §2 still returns a browser without a session to the RP
    await check('logout with client_id instead of id_token_hint (no session left) returns to the registered URI', async () => {
      const url = oidc.buildEndSessionUrl(client, { post_logout_redirect_uri: postLogoutRedirectUri });
      expect(url.searchParams.get('client_id'), 'openid-client sent no client_id');
      await session.visit(url, postLogoutRedirectUri, { signIn: false });
    });
  } finally {
    await session.close();
  }
  await check('an unregistered post_logout_redirect_uri is never redirected to', async () => {
    const session = await h.session();
    try {
      const flow = await h.codeFlow(client, session);
      const evil = 'https://attacker.conformance.invalid/signed-out';
      const url = oidc.buildEndSessionUrl(client, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: evil });
      const reached = await session.visit(url, evil, { signIn: false }).then(() => true, () => false);
      expect(!reached, 'the browser was sent to the unregistered URI');
    } finally {
      await session.close();
    }
  });
  await check('front-channel logout', () => {
    if (!m.frontchannel_logout_supported) skip('frontchannel_logout_supported is not advertised (oidc-provider 9 offers no front-channel logout)');
    skip('front-channel logout needs an RP page in an iframe; not driven by this harness');
  });
  await check('back-channel logout: a valid logout_token reaches the client on RP-initiated logout', async () => {
    if (!m.backchannel_logout_supported) skip('backchannel_logout_supported is not advertised');
    const given = h.options.backchannelHost ? new URL(h.options.backchannelHost) : undefined;
    const listener = await listen(given ? Number(given.port || 80) : 0, given ? '0.0.0.0' : '127.0.0.1');
    try {
      const base = given ? given.origin : `http://127.0.0.1:${listener.port}`;
      const registered = await h.register({ grant_types: ['authorization_code'], post_logout_redirect_uris: [postLogoutRedirectUri], backchannel_logout_uri: `${base}/backchannel`, backchannel_logout_session_required: true } as never);
      const clientId = registered.clientMetadata().client_id;
      const session = await h.session();
      try {
        const flow = await h.codeFlow(registered, session);
        const idClaims = jose.decodeJwt(flow.tokens.id_token!);
        if (m.backchannel_logout_session_supported) expect(typeof idClaims.sid === 'string', 'the ID Token has no sid though backchannel_logout_session_supported');
        const received = listener.next(h.options.timeoutMs);
        await session.visit(oidc.buildEndSessionUrl(registered, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri }), postLogoutRedirectUri, { signIn: false });
        const { contentType, body } = await received;
        expect(contentType.startsWith('application/x-www-form-urlencoded'), `content-type ${contentType}`);
        const token = new URLSearchParams(body).get('logout_token');
        expect(token, 'no logout_token in the POST');
        const header = jose.decodeProtectedHeader(token);
        if (header.typ !== undefined) expectEqual(header.typ, 'logout+jwt', 'typ');
        const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(await h.jwks()), { issuer: String(m.issuer), audience: clientId });
        expect(typeof payload.iat === 'number' && typeof payload.jti === 'string', 'iat or jti missing');
        expect(payload.events && typeof payload.events === 'object' && 'http://schemas.openid.net/event/backchannel-logout' in payload.events, 'events lacks the back-channel logout event');
        expect(payload.nonce === undefined, 'a logout token must not carry a nonce');
        expect(payload.sub === idClaims.sub || payload.sid === idClaims.sid, 'neither sub nor sid names the session');
        if (idClaims.sid) expectEqual(payload.sid, idClaims.sid, 'sid');
      } finally {
        await session.close();
      }
    } finally {
      listener.server.close();
    }
  });
}

/** a local listener for back-channel logout POSTs */
async function listen(port: number, host: string) {
  const waiting: Array<(value: { contentType: string; body: string }) => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      res.writeHead(200).end();
      waiting.shift()?.({ contentType: req.headers['content-type'] ?? '', body });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    server, port: (server.address() as { port: number }).port,
    next: (timeoutMs: number) => new Promise<{ contentType: string; body: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no logout_token reached the listener within ${timeoutMs / 1000} s`)), timeoutMs);
      waiting.push((value) => { clearTimeout(timer); resolve(value); });
    }),
  };
}
