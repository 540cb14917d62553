// OpenID Connect Basic OP (code flow), the checks of the OpenID Foundation's plan that a script can run here:
// the code flow through the hosted pages, ID Token validation, state/nonce/PKCE, code reuse, prompt, max_age,
// login_hint, ui_locales, the claims and request parameters, userinfo GET/POST, refresh, and what must be refused.
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { checkIdToken } from './id-token-checks.js';
import { oauthError, type Harness } from './harness.js';
import type { BrowserSession } from './browser-driver.js';

export async function basicPlan(h: Harness): Promise<void> {
  const plan = 'basic';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const client = await check('a confidential client (client_secret_basic) is configured', () => h.givenClient());
  if (!client) return;
  const clientId = client.clientMetadata().client_id;
  const ready = await check('a test user is configured for the browser steps', () => { h.needsUser(); return true; });
  if (!ready) return;
  const session: BrowserSession = await h.session();
  try {
    const first = await check('code flow: sign in through the hosted pages; code, state and iss come back', async () => {
      const flow = await h.codeFlow(client, session);
      expect(flow.callback.sawLogin, 'no login page was shown to a browser without a session');
      expectEqual(flow.callback.params.get('state'), flow.state, 'state');
      if (m.authorization_response_iss_parameter_supported) expectEqual(flow.callback.params.get('iss'), m.issuer, 'iss (RFC 9207)');
      return flow;
    });
    if (!first) return;
    const { tokens } = first;
    await check('token response: Bearer access token, expires_in, id_token', async () => {
      expectEqual(tokens.token_type.toLowerCase(), 'bearer', 'token_type');
      expect(typeof tokens.access_token === 'string' && tokens.access_token.length > 0, 'no access_token');
      expect(typeof tokens.expires_in === 'number' && tokens.expires_in > 0, 'expires_in missing');
      expect(typeof tokens.id_token === 'string', 'no id_token');
    });
    const idClaims = await check('ID Token: signature (JWKS), iss, sub, aud, azp, exp, iat, nonce, at_hash', () =>
      checkIdToken(h, tokens.id_token!, { clientId, nonce: first.nonce, accessToken: tokens.access_token }));
    const sub = idClaims?.sub;

    await check('userinfo GET with the Bearer token answers the same sub', async () => {
      const response = await fetch(String(m.userinfo_endpoint), { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expectEqual(response.status, 200, 'HTTP status');
      expect(/json/.test(response.headers.get('content-type') ?? ''), `content-type ${response.headers.get('content-type')}`);
      expectEqual((await response.json() as { sub?: string }).sub, sub, 'sub');
    });
    await check('userinfo POST with the token in the Authorization header', async () => {
      const response = await fetch(String(m.userinfo_endpoint), { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
      expectEqual(response.status, 200, 'HTTP status');
      expectEqual((await response.json() as { sub?: string }).sub, sub, 'sub');
    });
    await check('userinfo POST with the token in a form body (RFC 6750 §2.2)', async () => {
      const response = await fetch(String(m.userinfo_endpoint), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: tokens.access_token }) });
      expectEqual(response.status, 200, 'HTTP status');
      expectEqual((await response.json() as { sub?: string }).sub, sub, 'sub');
    });
    await check('userinfo without a token: 401 with a Bearer WWW-Authenticate challenge', async () => {
      const response = await fetch(String(m.userinfo_endpoint));
      await response.body?.cancel();
      expectEqual(response.status, 401, 'HTTP status');
      expect(/^Bearer/i.test(response.headers.get('www-authenticate') ?? ''), 'no Bearer challenge');
    });
    await check('userinfo with the scope\'s claims: email for scope email', async () => {
      const info = await oidc.fetchUserInfo(client, tokens.access_token, sub ?? oidc.skipSubjectCheck);
      expect(typeof info.email === 'string', 'no email claim for scope email');
    });

    await check('the code cannot be redeemed twice (invalid_grant)', async () => {
      const code = first.callback.params.get('code')!;
      const error = await redeemRaw(h, client, { code, redirect_uri: h.options.redirectUri, code_verifier: first.codeVerifier });
      expectEqual(error, 'invalid_grant', 'error');
    });
    await check('the access token of a replayed code is revoked (RFC 6749 §4.1.2)', async () => {
      const response = await fetch(String(m.userinfo_endpoint), { headers: { authorization: `Bearer ${tokens.access_token}` } });
      await response.body?.cancel();
      expectEqual(response.status, 401, 'userinfo with the first redemption\'s access token: HTTP status');
    });
    await check('PKCE: a wrong code_verifier is refused (invalid_grant)', async () => {
      const flow = await authorizeOnly(h, client, session);
      expectEqual(await redeemRaw(h, client, { code: flow.code, redirect_uri: h.options.redirectUri, code_verifier: oidc.randomPKCECodeVerifier() }), 'invalid_grant', 'error');
    });
    await check('a redirect_uri other than the authorization request\'s is refused at the token endpoint', async () => {
      const flow = await authorizeOnly(h, client, session);
      expectEqual(await redeemRaw(h, client, { code: flow.code, redirect_uri: `${h.options.redirectUri}/other`, code_verifier: flow.codeVerifier }), 'invalid_grant', 'error');
    });
    await check('a wrong client secret is refused (invalid_client, 401)', async () => {
      const wrong = h.configuration(clientId, 'not-the-secret', oidc.ClientSecretBasic('not-the-secret-at-all'));
      expectEqual(await oauthError(oidc.clientCredentialsGrant(wrong)), 'invalid_client', 'error');
    });
    await check('an unregistered redirect_uri is never redirected to', async () => {
      const url = oidc.buildAuthorizationUrl(client, { redirect_uri: 'https://attacker.conformance.invalid/cb', scope: 'openid', response_type: 'code', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      expect(!(response.headers.get('location') ?? '').startsWith('https://attacker.'), 'redirected to the unregistered URI');
      expect(response.status >= 400, `HTTP ${response.status}, expected an error page`);
    });
    await check('a request without response_type is refused and issues no code', async () => {
      const url = oidc.buildAuthorizationUrl(client, { redirect_uri: h.options.redirectUri, scope: 'openid', state: 'x' });
      url.searchParams.delete('response_type');
      const callback = await session.visit(url, h.options.redirectUri).catch(() => undefined);
      expect(!callback?.params.get('code'), 'a code was issued');
      if (callback) expect(callback.params.get('error'), 'no error in the response');
    });

    await check('prompt=none with a session: a code without any page', async () => {
      const flow = await h.codeFlow(client, session, { prompt: 'none' }, { signIn: false });
      expect(!flow.callback.sawConsent, 'a consent page was shown');
      const again = await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, accessToken: flow.tokens.access_token });
      expectEqual(again.sub, sub, 'sub');
    });
    await check('prompt=none without a session: login_required at the redirect URI, with state', async () => {
      const fresh = await h.session();
      try {
        const state = oidc.randomState();
        const url = oidc.buildAuthorizationUrl(client, { redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', prompt: 'none', state, code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
        const callback = await fresh.visit(url, h.options.redirectUri, { signIn: false });
        expectEqual(callback.params.get('error'), 'login_required', 'error');
        expectEqual(callback.params.get('state'), state, 'state');
      } finally {
        await fresh.close();
      }
    });
    await check('prompt=login with a session: the user signs in again; auth_time moves on', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const flow = await h.codeFlow(client, session, { prompt: 'login' });
      expect(flow.callback.sawLogin, 'no login page for prompt=login');
      const next = await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, authTime: true });
      if (typeof idClaims?.auth_time === 'number') expect((next.auth_time as number) > idClaims.auth_time, 'auth_time did not move on');
    });
    await check('max_age=1 after 2 seconds: the user signs in again; auth_time present', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const flow = await h.codeFlow(client, session, { max_age: '1' }, { maxAge: 1 });
      expect(flow.callback.sawLogin, 'no login page though the authentication is older than max_age');
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, authTime: true });
    });
    await check('max_age=10000 with a fresh session: no login page; auth_time present', async () => {
      const flow = await h.codeFlow(client, session, { max_age: '10000' }, { signIn: false, maxAge: 10_000 });
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, authTime: true });
    });
    await check('id_token_hint with prompt=none: the same user, no page', async () => {
      const flow = await h.codeFlow(client, session, { prompt: 'none', id_token_hint: tokens.id_token! }, { signIn: false });
      expectEqual((await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce })).sub, sub, 'sub');
    });
    await check('a request without nonce succeeds in the code flow; the ID Token then has no nonce', async () => {
      const flow = await authorizeOnly(h, client, session, { nonce: '' });
      const result = await oidc.authorizationCodeGrant(client, flow.callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, idTokenExpected: true });
      await checkIdToken(h, result.id_token!, { clientId });
    });
    await check('unknown parameters and another scope order are accepted (display=page, scope order)', async () => {
      const flow = await h.codeFlow(client, session, { scope: 'email openid', display: 'page', conformance_extra: 'ignored' }, { signIn: false });
      expect(flow.tokens.id_token, 'no id_token');
    });
    await check('display=popup and claims_locales are accepted', async () => {
      const flow = await h.codeFlow(client, session, { display: 'popup', claims_locales: 'se' }, { signIn: false });
      expect(flow.tokens.id_token, 'no id_token');
    });
    await check('acr_values the provider does not know are accepted (a voluntary claim, OIDC Core §3.1.2.1)', async () => {
      const flow = await h.codeFlow(client, session, { acr_values: '1 2' });
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce });
    });
    await check('the authorization endpoint accepts POST (OIDC Core §3.1.2.1)', async () => {
      if (h.issuer.protocol === 'http:') skip('a plain-http issuer: POST at the authorization endpoint needs https (SameSite=None cookies)');
      const flow = await h.codeFlow(client, session, {}, { post: true });
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce });
    });
    await check('a request without redirect_uri is refused and issues no code', async () => {
      const url = oidc.buildAuthorizationUrl(client, { scope: 'openid', response_type: 'code', state: 'x', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      expect(!(response.headers.get('location') ?? '').includes('code='), 'a code was issued');
      expect(response.status >= 400, `HTTP ${response.status}, expected an error page`);
    });
    await check('login_hint is accepted and offered on the login page', async () => {
      const fresh = await h.session();
      try {
        const flow = await h.codeFlow(client, fresh, { login_hint: h.options.user! });
        expect(flow.callback.sawLogin, 'no login page');
        expectEqual(flow.callback.loginEmailValue, h.options.user, 'the login page\'s email field');
      } finally {
        await fresh.close();
      }
    });
    await check('ui_locales picks the login page\'s language', async () => {
      const locales = (m.ui_locales_supported as string[] | undefined) ?? [];
      const other = locales.find((locale) => !locale.startsWith('en'));
      if (!other) skip('ui_locales_supported names no language but English');
      const fresh = await h.session();
      try {
        const flow = await h.codeFlow(client, fresh, { ui_locales: `${other} en` });
        expect(flow.callback.loginLang?.startsWith(other.split('-')[0]!), `login page lang ${flow.callback.loginLang}, asked for ${other}`);
      } finally {
        await fresh.close();
      }
    });
    await claimsAndRequest(h, client, session, clientId);
    await check('refresh_token grant: a new access token; a refreshed ID Token keeps sub, auth_time and nonce (OIDC Core §12.2)', async () => {
      if (!(m.grant_types_supported as string[] | undefined)?.includes('refresh_token')) skip('refresh_token is not a supported grant');
      const flow = await h.codeFlow(client, session, { scope: 'openid email offline_access', prompt: 'consent' });
      if (!flow.tokens.refresh_token) skip('no refresh token for offline_access (the client may lack the refresh_token grant)');
      const refreshed = await oidc.refreshTokenGrant(client, flow.tokens.refresh_token);
      expect(refreshed.access_token && refreshed.access_token !== flow.tokens.access_token, 'no new access token');
      if (refreshed.id_token) {
        const original = await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce });
        const again = await checkIdToken(h, refreshed.id_token, { clientId, accessToken: refreshed.access_token, refreshedNonce: flow.nonce });
        expectEqual(again.sub, original.sub, 'sub');
        if (original.auth_time !== undefined) expectEqual(again.auth_time, original.auth_time, 'auth_time');
      }
    });
  } finally {
    await session.close();
  }
}

/** the claims parameter (OIDC Core §5.5) and an unsigned request object (§6.1) */
async function claimsAndRequest(h: Harness, client: oidc.Configuration, session: BrowserSession, clientId: string) {
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check('basic', name, run);
  const m = await h.metadata();
  await check('claims parameter: an essential email claim requested for the ID Token with scope openid only', async () => {
    if (!m.claims_parameter_supported) skip('claims_parameter_supported is false');
    const flow = await h.codeFlow(client, session, { scope: 'openid', claims: JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { name: null } }) }, { signIn: false });
    const claims = await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce });
    expect(typeof claims.email === 'string', 'the requested email claim is not in the ID Token');
    const info = await oidc.fetchUserInfo(client, flow.tokens.access_token, claims.sub!);
    expect('name' in info, 'the requested name claim is not in userinfo');
  });
  await check('an unsigned request object is used correctly or refused as request_not_supported', async () => {
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const parameters = { client_id: clientId, redirect_uri: h.options.redirectUri, response_type: 'code', scope: 'openid', state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(parameters)).toString('base64url')}.`;
    const url = new URL(String(m.authorization_endpoint));
    for (const [key, value] of Object.entries({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: h.options.redirectUri, request: unsigned })) url.searchParams.set(key, value);
    const callback = await session.visit(url, h.options.redirectUri, { signIn: false });
    const error = callback.params.get('error');
    if (error) {
      expect(['request_not_supported', 'invalid_request_object'].includes(error), `refused with ${error}`);
      expect(!m.request_parameter_supported || error === 'invalid_request_object', `refused with ${error} though request_parameter_supported`);
      return;
    }
    expectEqual(callback.params.get('state'), state, 'state from the request object');
    const tokens = await oidc.authorizationCodeGrant(client, callback.url, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    await checkIdToken(h, tokens.id_token!, { clientId, nonce });
  });
}

/** an authorization response only (no token request); `nonce: ''` sends none */
export async function authorizeOnly(h: Harness, client: oidc.Configuration, session: BrowserSession, extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const params: Record<string, string> = { redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', state, nonce: oidc.randomNonce(), code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', ...extra };
  for (const [key, value] of Object.entries(params)) if (value === '') delete params[key];
  const callback = await session.visit(oidc.buildAuthorizationUrl(client, params), h.options.redirectUri);
  const code = callback.params.get('code');
  if (!code) throw new Error(`no code: ${callback.params.get('error') ?? callback.url.href}`);
  return { callback: callback.url, code, codeVerifier, state };
}

/** a token request made by hand (openid-client would refuse to send a wrong one); returns its error code */
async function redeemRaw(h: Harness, client: oidc.Configuration, params: Record<string, string>): Promise<string> {
  const { client_id: clientId } = client.clientMetadata();
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(h.options.clientSecret!)}`).toString('base64');
  const response = await fetch(String((await h.metadata()).token_endpoint), {
    method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', ...params }),
  });
  const body = await response.json().catch(() => ({})) as { error?: string };
  if (response.ok) throw new Error('the token request was accepted');
  expect(response.status === 400 || response.status === 401, `HTTP ${response.status}`);
  return body.error ?? `HTTP ${response.status}`;
}
