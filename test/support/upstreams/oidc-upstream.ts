// A real oidc-provider playing the OpenID provider Tessera federates to: Google, Sign in with Apple, or a plain
// ("generic") issuer. Around it sits a node:http front that records what Tessera sends, applies Apple's rules,
// and completes each authorization with the account a test queued — no page, no consent. Its session cookie
// is never kept, so every authorization request reaches the interaction and takes the next queued account.
import { createServer, IncomingMessage, type ServerResponse } from 'node:http';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider, { type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { basicCredentials, listen, paramsOf, readBody } from './upstream-http.js';
import { randomToken } from './oauth-apps.js';
import { accountClaims, memoryAdapter, profiles, type Flavour, type UpstreamAccount } from './oidc-upstream-profile.js';
import {
  appleAuthorizationProblem, appleClientSecretProblem, appleUserField, withUserInput, type AppleClientKey, type KeyLike,
} from './apple-upstream.js';

export type { Flavour, UpstreamAccount } from './oidc-upstream-profile.js';
export type { KeyLike } from './apple-upstream.js';

export interface RegisteredClient { clientId: string; clientSecret: string }

export interface OidcUpstream {
  /** http://127.0.0.1:<port>, for the Apple flavour too (tests configure Tessera's Apple connection with it) */
  readonly issuer: string;
  readonly flavour: Flavour;
  /**
   * Apple clients need `apple` (the Services ID's key) and get an empty clientSecret: they authenticate with the
   * ES256 client_secret JWT. Throws when the apple flavour gets no `apple`.
   */
  registerClient(options: { redirectUris: string[]; apple?: { teamId: string; keyId: string; publicKey: KeyLike | JWK } }): RegisteredClient;
  /** queue: the next authorization request signs in as this account and consents to everything, no page shown */
  signInAs(account: UpstreamAccount): void;
  /** queue: the next authorization request is answered with this error to redirect_uri (with the request's state) */
  denyNext(error?: string): void;
  /**
   * The next token response carries an id_token whose claims are changed like this (a value of undefined removes
   * the claim) and re-signed with the upstream's own key.
   */
  tamperNextIdToken(change: Record<string, unknown>): void;
  /** query (or form) params of every authorization request, and form params of every token request (secrets included) */
  readonly authorizations: Array<Record<string, string>>;
  readonly tokenRequests: Array<{ params: Record<string, string>; authorization: string | null }>;
  /** requests refused for not following the vendor's documentation, and oidc-provider's error answers */
  readonly rejections: Array<{ path: string; reason: string }>;
  close(): Promise<void>;
}

type Next = { kind: 'account'; account: UpstreamAccount } | { kind: 'deny'; error: string };

const ERROR_EVENTS = ['authorization.error', 'grant.error', 'userinfo.error', 'revocation.error', 'discovery.error', 'jwks.error', 'server_error'];

export async function startOidcUpstream(flavour: Flavour): Promise<OidcUpstream> {
  const profile = profiles[flavour];
  const routes = { authorization: '/auth', token: '/token', ...profile.routes };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomToken(16), alg: 'RS256', use: 'sig' };
  const clients = new Map<string, AdapterPayload>();
  const appleKeys = new Map<string, AppleClientKey>();
  const accounts = new Map<string, UpstreamAccount>();
  const queue: Next[] = [];
  const tampers: Array<Record<string, unknown>> = [];
  const userFieldSent = new Set<string>();
  const authorizations: Array<Record<string, string>> = [];
  const tokenRequests: Array<{ params: Record<string, string>; authorization: string | null }> = [];
  const rejections: Array<{ path: string; reason: string }> = [];
  /** errors of queued denials not yet answered: oidc-provider reports them as errors, but tests asked for them */
  const denied: string[] = [];

  // The provider needs the issuer, which needs the port: listen first, then build the provider.
  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => undefined;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      rejections.push({ path: req.url ?? '', reason: `stand-in crashed: ${String(error)}` });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('stand-in crashed');
    });
  });
  const listening = await listen(server);
  const issuer = listening.url;
  const cookieNames = { session: `${flavour}_up_session`, interaction: `${flavour}_up_interaction`, resume: `${flavour}_up_resume` };

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(clients),
    jwks: { keys: [signingKey] },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account && { accountId: sub, claims: () => accountClaims(flavour, account) };
    },
    routes,
    scopes: profile.scopes,
    claims: profile.claims,
    conformIdTokenClaims: profile.conformIdTokenClaims,
    clientAuthMethods: profile.clientAuthMethods,
    // PKCE is optional for confidential clients at these vendors; whether it was sent is in `authorizations`
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: profile.userinfo },
      rpInitiatedLogout: { enabled: flavour === 'generic' },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomToken(32)], names: cookieNames },
    // explicit lifetimes (oidc-provider notices each default it uses); codes live 10 minutes as Google's do
    ttl: { AuthorizationCode: 600, AccessToken: 3600, IdToken: 3600, Interaction: 600, Grant: 3600, Session: 3600 },
  });

  for (const event of ERROR_EVENTS) {
    // every listed event passes (ctx, error); the typings name each event separately
    provider.on(event as 'server_error', (ctx: KoaContextWithOIDC, error: Error & { error?: string; error_description?: string }) => {
      if (event === 'authorization.error' && queuedDenial(error.error)) return;
      rejections.push({ path: ctx.path, reason: `${error.error ?? error.name}: ${error.error_description ?? error.message}` });
    });
  }
  function queuedDenial(error: string | undefined): boolean {
    const at = denied.indexOf(error ?? '');
    if (at >= 0) denied.splice(at, 1);
    return at >= 0;
  }

  provider.use(async (context, next) => {
    const ctx = context as KoaContextWithOIDC;
    // Forget the upstream session both ways: a browser (Chromium keeps cookies per host, not per port) never
    // carries one, so each authorization request asks for a sign-in and takes the next queued account.
    const forget = (cookie: string) => cookie.trim().startsWith(`${cookieNames.session}=`) || cookie.trim().startsWith(`${cookieNames.session}.`);
    if (ctx.req.headers.cookie) ctx.req.headers.cookie = ctx.req.headers.cookie.split(';').filter((c) => !forget(c)).join(';');
    await next();
    const setCookie = ctx.res.getHeader('set-cookie');
    if (Array.isArray(setCookie)) ctx.res.setHeader('set-cookie', setCookie.filter((c) => !forget(c)));

    if (ctx.oidc?.route === 'token' && tampers.length > 0 && isTokenBody(ctx.body) && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, tampers.shift()!) };
    }
    if (flavour === 'apple' && typeof ctx.body === 'string' && ctx.body.includes('name="code"')) addUserField(ctx);
  });

  async function tamper(idToken: string, change: Record<string, unknown>): Promise<string> {
    const claims: Record<string, unknown> = { ...decodeJwt(idToken) };
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete claims[key];
      else claims[key] = value;
    }
    const header = decodeProtectedHeader(idToken);
    return new SignJWT(claims as JWTPayload).setProtectedHeader({ ...header, alg: 'RS256', kid: signingKey.kid }).sign(privateKey);
  }

  /** Apple posts the `user` JSON only on the first authorization of an account for a client. */
  function addUserField(ctx: KoaContextWithOIDC) {
    const sub = ctx.oidc.session?.accountId;
    const clientId = ctx.oidc.client?.clientId;
    const account = sub ? accounts.get(sub) : undefined;
    if (!account || !clientId || userFieldSent.has(`${clientId} ${sub}`)) return;
    const user = appleUserField(account, String(ctx.oidc.params?.scope ?? ''));
    if (!user) return;
    userFieldSent.add(`${clientId} ${sub}`);
    ctx.body = withUserInput(ctx.body as string, user);
  }

  const callback = provider.callback();
  /** hands the request to oidc-provider, with `body` (already read off the socket) as its body */
  function forward(req: IncomingMessage, res: ServerResponse, body?: string, dropAuthorization = false) {
    if (body === undefined) return callback(req, res);
    const copy = new IncomingMessage(req.socket);
    copy.method = req.method;
    copy.url = req.url;
    copy.httpVersion = req.httpVersion;
    copy.headers = { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
    delete copy.headers['transfer-encoding'];
    if (dropAuthorization) delete copy.headers.authorization;
    // complete: an IncomingMessage destroyed before it is complete destroys the socket it was read from
    copy.complete = true;
    copy.push(body);
    copy.push(null);
    return callback(copy, res);
  }

  function refuse(res: ServerResponse, path: string, reason: string, status: number, type: string, body: string) {
    rejections.push({ path, reason });
    res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  handle = async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (/^\/interaction\/[^/]+$/.test(url.pathname)) return interaction(req, res, url.pathname);
    if (url.pathname === routes.authorization) {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const { params } = paramsOf(body === undefined ? url.searchParams : new URLSearchParams(body));
      authorizations.push(params);
      if (flavour !== 'apple') return forward(req, res, body);
      const problem = appleAuthorizationProblem(params);
      if (problem) return refuse(res, url.pathname, problem, 400, 'text/plain; charset=utf-8', `invalid_request\n${problem}`);
      // Apple issues an id_token whether or not `openid` is among the scopes (its docs list only name and email)
      const scopes = (params.scope ?? '').split(' ').filter(Boolean);
      if (scopes.includes('openid')) return forward(req, res, body);
      const withOpenid = new URLSearchParams(body ?? url.search);
      withOpenid.set('scope', ['openid', ...scopes].join(' '));
      if (body !== undefined) return forward(req, res, withOpenid.toString());
      req.url = `${url.pathname}?${withOpenid}`;
      return forward(req, res);
    }
    if (url.pathname === routes.token && req.method === 'POST') {
      const body = await readBody(req);
      const form = new URLSearchParams(body);
      tokenRequests.push({ params: paramsOf(form).params, authorization: req.headers.authorization ?? null });
      const basic = basicCredentials(req.headers.authorization);
      if (flavour === 'apple') {
        const invalidClient = (reason: string) => refuse(res, url.pathname, reason, 400, 'application/json', '{"error":"invalid_client"}');
        if (req.headers.authorization) return invalidClient('Apple takes client_id and client_secret in the form body, not an Authorization header');
        const clientId = form.get('client_id') ?? '';
        const key = appleKeys.get(clientId);
        if (!key) return invalidClient(`unknown client_id ${clientId}`);
        const problem = await appleClientSecretProblem(form.get('client_secret') ?? undefined, clientId, key);
        if (problem) return invalidClient(problem);
        form.set('client_secret', String(clients.get(clientId)!.client_secret));
        return forward(req, res, form.toString());
      }
      // Clients are registered for client_secret_post; Basic credentials (also advertised) move into the body.
      if (basic && !form.has('client_secret')) {
        form.set('client_id', basic.id);
        form.set('client_secret', basic.secret);
        return forward(req, res, form.toString(), true);
      }
      return forward(req, res, body);
    }
    return forward(req, res);
  };

  /** completes the interaction with the next queued account (login + a grant of every requested scope) or denial */
  async function interaction(req: IncomingMessage, res: ServerResponse, path: string) {
    const details = await provider.interactionDetails(req, res).catch((error: Error) => error);
    if (details instanceof Error) return refuse(res, path, `interaction: ${details.message}`, 400, 'text/plain; charset=utf-8', details.message);
    const next = queue.shift();
    if (!next) return refuse(res, path, 'no account queued', 400, 'text/plain; charset=utf-8', 'no account queued');
    if (next.kind === 'deny') {
      denied.push(next.error);
      return provider.interactionFinished(req, res, { error: next.error, error_description: 'The end-user denied the request' }, { mergeWithLastSubmission: false });
    }
    const { account } = next;
    accounts.set(account.sub, account);
    const grant = new provider.Grant({ accountId: account.sub, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    flavour,
    registerClient({ redirectUris, apple }) {
      if (flavour === 'apple' && !apple) throw new Error('an Apple client needs apple: { teamId, keyId, publicKey }');
      const clientId = flavour === 'google' ? `${Date.now()}${randomToken(6, '0123456789')}-${randomToken(32).toLowerCase()}.apps.googleusercontent.com`
        : flavour === 'apple' ? `com.example.tessera.${randomToken(10).toLowerCase()}` : randomToken(22);
      const clientSecret = flavour === 'google' ? `GOCSPX-${randomToken(28)}` : randomToken(40);
      clients.set(clientId, {
        client_id: clientId, client_secret: clientSecret, redirect_uris: [...redirectUris], response_types: ['code'],
        grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: 'RS256',
      });
      if (apple) appleKeys.set(clientId, apple);
      return { clientId, clientSecret: flavour === 'apple' ? '' : clientSecret };
    },
    signInAs: (account) => void queue.push({ kind: 'account', account }),
    denyNext: (error = 'access_denied') => void queue.push({ kind: 'deny', error }),
    tamperNextIdToken: (change) => void tampers.push(change),
    authorizations,
    tokenRequests,
    rejections,
    close: () => listening.close(),
  };
}

function isTokenBody(body: unknown): body is { id_token?: string } {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body);
}
