// openid-client v6 as the relying party, plus the hosted-login walk a user's browser would make.
import * as oidc from 'openid-client';
import { Browser, isPage, type Page } from './browser.js';

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
