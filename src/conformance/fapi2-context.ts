// What the fapi2 plan's checks share once its client exists: pushing a request (in a signed request object with
// --message-signing), following a request_uri in the browser, and reading the response whether plain or JARM.
import * as jose from 'jose';
import * as oidc from 'openid-client';
import type { BrowserSession, Callback } from './browser-driver.js';
import { clientPost, requestObject, usesJarm, type FapiClient, type RequestObjectOptions } from './fapi2-client.js';
import type { ClientCertificate } from './client-certificates.js';
import type { Harness, Metadata } from './harness.js';

export interface PushOptions {
  /** spoil the request object (--message-signing) */
  requestObject?: RequestObjectOptions;
  /** send the parameters as they are, never in a request object */
  plain?: boolean;
  /** the client assertion's aud (private_key_jwt) */
  aud?: string;
  /** the certificate presented (mtls); null: none */
  certificate?: ClientCertificate | null;
}

export interface Fapi2Context {
  h: Harness;
  m: Metadata;
  client: FapiClient;
  session: BrowserSession;
  check: <T>(name: string, run: () => Promise<T> | T) => Promise<T | undefined>;
  endpoint(key: string): string;
  pkce(): Promise<{ verifier: string; challenge: string }>;
  /** an authorization request's parameters with a fresh state and nonce, without PKCE */
  base(): Record<string, string>;
  /** POSTs to the PAR endpoint as the client */
  push(params: Record<string, string>, options?: PushOptions): Promise<{ status: number; body: Record<string, unknown> }>;
  /** follows a pushed request in the browser (no login page expected) */
  authorize(requestUri: unknown, session?: BrowserSession): Promise<Callback>;
  /** pushes a request with PKCE, signs in, and returns the code and its verifier */
  code(): Promise<{ code: string; verifier: string }>;
}

export function fapi2Context(h: Harness, m: Metadata, client: FapiClient, session: BrowserSession, check: Fapi2Context['check']): Fapi2Context {
  const endpoint = (key: string) => String(m[key]);
  const pkce = async () => { const verifier = oidc.randomPKCECodeVerifier(); return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) }; };
  const base = () => ({
    client_id: client.clientId, redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', state: oidc.randomState(), nonce: oidc.randomNonce(),
    ...(usesJarm(h, m) ? { response_mode: 'jwt' } : {}),
  });
  const push: Fapi2Context['push'] = async (params, options = {}) => {
    const body = h.options.messageSigning && !options.plain ? { request: await requestObject(h, client, params, options.requestObject) } : params;
    return clientPost(h, client, endpoint('pushed_authorization_request_endpoint'), body, options);
  };
  const authorize: Fapi2Context['authorize'] = (requestUri, inSession = session) => {
    const url = new URL(endpoint('authorization_endpoint'));
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('request_uri', String(requestUri));
    return inSession.visit(url, h.options.redirectUri, { signIn: false });
  };
  return {
    h, m, client, session, check, endpoint, pkce, base, push, authorize,
    async code() {
      const { verifier, challenge } = await pkce();
      const pushed = await push({ ...base(), code_challenge: challenge, code_challenge_method: 'S256' });
      if (pushed.status !== 201) throw new Error(`PAR answered HTTP ${pushed.status} ${String(pushed.body.error ?? '')}`);
      const params = responseParams(await authorize(pushed.body.request_uri));
      const code = params.get('code');
      if (!code) throw new Error(`no code: ${params.get('error') ?? ''}`);
      return { code, verifier };
    },
  };
}

/** the authorization response's parameters: as sent, or — JARM — the claims of its `response` JWT (not verified here) */
export function responseParams(callback: Callback): URLSearchParams {
  const response = callback.params.get('response');
  if (!response) return callback.params;
  const claims = jose.decodeJwt(response);
  return new URLSearchParams(Object.entries(claims).filter(([, value]) => typeof value === 'string') as Array<[string, string]>);
}
