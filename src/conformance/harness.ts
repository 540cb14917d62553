// What every plan of the harness shares: the options, the report, the provider's discovery document and keys,
// the relying party's clients (given, or registered with an initial access token), and the browser.
import * as oidc from 'openid-client';
import * as jose from 'jose';
import type { Browser } from 'playwright-core';
import { Report, skip } from './check-report.js';
import { BrowserUser, type BrowserSession, type Callback } from './browser-driver.js';
import type { ClientCertificate } from './client-certificates.js';

export const planNames = ['config', 'basic', 'formpost', 'logout', 'dynamic', 'fapi2'] as const;
export type PlanName = typeof planNames[number];
/** how the fapi2 plan's client authenticates and binds its tokens: private_key_jwt + DPoP, or mTLS for both */
export const fapi2Variants = ['dpop', 'mtls'] as const;
export type Fapi2Variant = typeof fapi2Variants[number];

export interface HarnessOptions {
  issuer: string;
  plans: PlanName[];
  clientId?: string;
  clientSecret?: string;
  registrationToken?: string;
  /** a private JWK (file contents) of a given private_key_jwt client, for fapi2 with --client-id */
  privateJwk?: string;
  user?: string;
  password?: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** where the provider reaches the harness's back-channel logout listener; default http://127.0.0.1:<port> */
  backchannelHost?: string;
  ignoreTlsErrors: boolean;
  timeoutMs: number;
  fapi2Variant: Fapi2Variant;
  /** FAPI 2.0 Message Signing: request objects (JAR) and JARM responses */
  messageSigning: boolean;
  /** a client certificate (PEM) the deployment's TLS proxy verifies: tls_client_auth */
  clientCertificate?: ClientCertificate;
}

export interface CodeFlowOptions { par?: boolean; jar?: oidc.CryptoKey | oidc.PrivateKey; DPoP?: oidc.DPoPHandle; signIn?: boolean; maxAge?: number; post?: boolean }

export type Metadata = Record<string, unknown> & oidc.ServerMetadata;

export interface Flow { callback: Callback; tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers; nonce: string; state: string; codeVerifier: string }

const loopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

export class Harness {
  private browserUser?: BrowserUser;
  private cachedMetadata?: Metadata;
  private cachedJwks?: jose.JSONWebKeySet;

  /**
   * @param chromium the browser, launched by the first browser step of any run that shares it (its owner closes it)
   * @param report where the checks are recorded and printed
   */
  constructor(readonly options: HarnessOptions, private readonly chromium: () => Promise<Browser>, readonly report = new Report()) {}

  get issuer(): URL {
    return new URL(this.options.issuer);
  }

  /** openid-client refuses http unless told; plain http is accepted for a loopback issuer only */
  get execute(): Array<(config: oidc.Configuration) => void> {
    return this.issuer.protocol === 'http:' && loopback(this.issuer) ? [oidc.allowInsecureRequests] : [];
  }

  async metadata(): Promise<Metadata> {
    if (!this.cachedMetadata) {
      const response = await fetch(new URL(`${this.issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`));
      if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
      this.cachedMetadata = await response.json() as Metadata;
    }
    return this.cachedMetadata;
  }

  async jwks(): Promise<jose.JSONWebKeySet> {
    if (!this.cachedJwks) {
      const uri = (await this.metadata()).jwks_uri;
      if (!uri) throw new Error('no jwks_uri');
      const response = await fetch(uri);
      if (!response.ok) throw new Error(`jwks_uri answered HTTP ${response.status}`);
      this.cachedJwks = await response.json() as jose.JSONWebKeySet;
    }
    return this.cachedJwks;
  }

  /** the given confidential client (client_secret_basic), or SKIP */
  async givenClient(): Promise<oidc.Configuration> {
    const { clientId, clientSecret } = this.options;
    if (!clientId || !clientSecret) skip('needs --client-id and --client-secret of a client with the redirect URI');
    await this.metadata();
    return this.configuration(clientId, clientSecret, oidc.ClientSecretBasic(clientSecret));
  }

  configuration(clientId: string, metadata: Partial<oidc.ClientMetadata> | string | undefined, auth: oidc.ClientAuth): oidc.Configuration {
    const config = new oidc.Configuration(this.cachedMetadata!, clientId, metadata as never, auth);
    for (const option of this.execute) option(config);
    return config;
  }

  /** registers a client with the initial access token (RFC 7591), or SKIP */
  async register(metadata: Partial<oidc.ClientMetadata>, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
    const token = this.options.registrationToken;
    if (!token) skip('needs --registration-token (an initial access token; multi-use for several plans)');
    await this.metadata();
    return oidc.dynamicClientRegistration(this.issuer, { redirect_uris: [this.options.redirectUri], client_name: 'Conformance harness', ...metadata }, auth, {
      initialAccessToken: token, execute: this.execute,
    });
  }

  needsUser(): void {
    if (!this.options.user || !this.options.password) skip('needs --user and --password of a test user for the browser steps');
  }

  async browser(): Promise<BrowserUser> {
    this.browserUser ??= new BrowserUser(await this.chromium(), {
      credentials: this.options.user && this.options.password ? { email: this.options.user, password: this.options.password } : undefined,
      ignoreTlsErrors: this.options.ignoreTlsErrors,
      timeoutMs: this.options.timeoutMs,
    });
    return this.browserUser;
  }

  async session(): Promise<BrowserSession> {
    return (await this.browser()).session();
  }

  /**
   * a code flow with PKCE, state and nonce through the browser; `params` are added to the authorization request
   * @param options.par push the request first (RFC 9126)
   * @param options.jar send the parameters in a request object signed with this key (RFC 9101)
   */
  async codeFlow(config: oidc.Configuration, session: BrowserSession, params: Record<string, string> = {}, options: CodeFlowOptions = {}): Promise<Flow> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const request = {
      redirect_uri: this.options.redirectUri, scope: 'openid profile email', response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce, ...params,
    };
    const parameters = options.jar ? (await oidc.buildAuthorizationUrlWithJAR(config, request, options.jar)).searchParams : request;
    const url = options.par ? await oidc.buildAuthorizationUrlWithPAR(config, parameters, { DPoP: options.DPoP }) : oidc.buildAuthorizationUrl(config, parameters);
    const callback = await session.visit(url, this.options.redirectUri, { signIn: options.signIn, post: options.post });
    const tokens = await oidc.authorizationCodeGrant(config, callbackInput(callback), {
      pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true, maxAge: options.maxAge,
    }, undefined, { DPoP: options.DPoP });
    return { callback, tokens, nonce, state, codeVerifier };
  }
}

/** what openid-client reads a response from: the redirect's URL, or the form_post as a Request */
export function callbackInput(callback: Callback): URL | Request {
  if (callback.method !== 'POST') return callback.url;
  return new Request(callback.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: callback.params.toString() });
}

/** the OAuth error of a refused call, or a thrown Error when it succeeded */
export async function oauthError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) return error.error;
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const body = await error.response.json().catch(() => ({})) as { error?: string };
      return body.error ?? error.cause[0]?.parameters.error ?? 'challenge';
    }
    throw error;
  }
  throw new Error('the request was accepted where it must be refused');
}
