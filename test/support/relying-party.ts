// openid-client v6 as the relying party, plus the hosted-login walk a user's browser would make.
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { Browser, isPage, type Page } from './browser.js';
import { redirectUri } from './fixtures.js';

export { oidc };

export async function discover(issuer: string, clientId: string, clientSecret?: string, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, auth ?? (clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None()), {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface Credentials { email: string; password: string }

export interface AuthorizationRequest {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(config: oidc.Configuration, redirectUri: string, params: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, codeVerifier, state, nonce };
}

/**
 * Walks the hosted pages like a user: signs in on the login page when asked, accepts consent when asked,
 * and returns the callback URL the browser is sent to (not fetched).
 */
export async function signIn(browser: Browser, start: URL, redirectUri: string, credentials: Credentials): Promise<URL> {
  const atCallback = (location: URL) => location.href.startsWith(redirectUri);
  let step: Page | URL = await browser.navigate(start, atCallback);
  for (let i = 0; i < 5 && isPage(step); i++) {
    const page: Page = step;
    if (page.html.includes('/login"')) step = await browser.submit(page, '/login', { email: credentials.email, password: credentials.password }, atCallback);
    else if (page.html.includes('/confirm"')) step = await browser.submit(page, '/confirm', {}, atCallback);
    else throw new Error(`unexpected page ${page.status} at ${page.url.pathname}:\n${page.html.slice(0, 800)}`);
  }
  if (isPage(step)) throw new Error('sign-in did not reach the callback');
  return step;
}

/** a complete code + PKCE flow through the hosted login; returns the token response */
export async function codeFlow(config: oidc.Configuration, redirectUri: string, credentials: Credentials, options: { browser?: Browser; params?: Record<string, string>; maxAge?: number } = {}) {
  const browser = options.browser ?? new Browser();
  const request = await authorizationRequest(config, redirectUri, options.params);
  const callback = await signIn(browser, request.url, redirectUri, credentials);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: request.codeVerifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    maxAge: options.maxAge,
    idTokenExpected: true,
  });
  return { tokens, browser, request, callback };
}

/**
 * A code flow that asks for a refresh token: OIDC Core 11 honours offline_access only with prompt=consent.
 * @param options.scope defaults to `openid offline_access`; it must include offline_access
 */
export async function signInOffline(config: oidc.Configuration, user: Credentials, options: { scope?: string; browser?: Browser } = {}) {
  const { tokens } = await codeFlow(config, redirectUri, user, { browser: options.browser, params: { scope: options.scope ?? 'openid offline_access', prompt: 'consent' } });
  assert.ok(tokens.refresh_token, 'a refresh token is issued for offline_access');
  return tokens;
}

/**
 * The OAuth error a call was refused with; fails the test when the call succeeds. openid-client reports a 401
 * that carries a WWW-Authenticate challenge (RFC 6749 §5.2 for invalid_client with HTTP Basic) as a challenge
 * error; its body still holds the RFC error.
 */
export async function refusal(call: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { error: error.error, status: error.status };
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const body = (await error.response.json()) as { error: string };
      assert.equal(error.cause[0]?.parameters.error, body.error, 'the challenge names the same error as the body');
      return { error: body.error, status: error.status };
    }
    throw error;
  }
  assert.fail('the request was expected to be refused');
}

/** whether an access token is still accepted at userinfo (200); anything but 200 or 401 fails the test */
export async function accessTokenLive(config: oidc.Configuration, accessToken: string): Promise<boolean> {
  const response = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  assert.ok(response.status === 200 || response.status === 401, `userinfo status ${response.status}`);
  return response.status === 200;
}
