// createClient: the app SDK's core (`tessera/client`). Sign-up, sign-in and its challenge, one-time codes, sign-in
// links and social sign-in (with PKCE by default: pkce.ts), password reset, and the session (refresh, sign-out, user, events) over the REST auth API `{issuer}/v1/…`. MFA management
// and passkeys are separate imports (`tessera/client/mfa`, `tessera/client/passkeys`) that add their methods to
// client.auth, so an app that needs neither does not ship them.
import { TesseraError } from './client-error.js';
import type { AuthResult, AuthStateListener, Challenge, ChallengeMethod, ClientOptions, CodeSent, Environment, LinkSent, OAuthStart, Session, User, WhoAmI } from './client-types.js';
import { builtInClientId, createHttpCall, type HttpCall } from './http-call.js';
import { createPkceStore } from './pkce.js';
import { presentationKey } from './refresh-coordinator.js';
import { createSessionKeeper, defaultStorage } from './session-keeper.js';
import { clientCore, type ChallengeAnswer, type ClientCore, type TokenAnswer } from './client-core.js';

/** the `iss` of a JWT access token, unverified: it only says where to refresh, the server checks the token */
function claimedIssuer(token: string): unknown {
  try {
    return (JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { iss?: unknown }).iss;
  } catch {
    return undefined;
  }
}

/** a code that is all digits is one from an authenticator app or a text message; anything else a recovery code */
const methodFor = (code: string): ChallengeMethod => (/^\d{6,8}$/.test(code.trim()) ? 'totp' : 'recovery_code');

export function createClient(options: ClientOptions) {
  if (!options || typeof options.issuer !== 'string' || !/^https?:\/\//.test(options.issuer)) throw new TypeError('createClient: issuer must be the tenant\'s issuer URL.');
  if (typeof options.clientId !== 'string' || !options.clientId) throw new TypeError(`createClient: clientId is required ("${builtInClientId}" for the built-in client).`);
  if (options.clientId !== builtInClientId && !options.clientSecret) throw new TypeError(`createClient: a headless app's clientId needs its clientSecret (servers only); browsers use "${builtInClientId}".`);
  const issuer = options.issuer.replace(/\/+$/, '');
  const raw = createHttpCall(issuer, options.clientId, options.clientSecret, options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
  // the tenant's environments are `{PUBLIC_URL}/t/{slug}~{env}` (live: no suffix): a session's issuer must be one of
  // them, so a token's claim or a tampered storage never sends a refresh token to another tenant or host
  const family = issuer.replace(/~[^/~]*$/, '');
  const sibling = (value: unknown): string => (typeof value === 'string' && (value === family || (value.startsWith(`${family}~`) && !value.slice(family.length).includes('/'))) ? value : issuer);
  /** the session's issuer, where its tokens are refreshed, revoked and used */
  const at = (session: Session | null) => sibling(session?.issuer);
  /** the issuer of an environment named at sign-in or switch (environment-names.ts): live is the tenant's own */
  const issuerOf = (environment: string) => sibling(environment === 'live' ? family : `${family}~${environment}`);
  /** where a challenge's transaction lives: the envelope's `issuer` when it is one of the tenant's environments, else
   *  the environment the sign-in or switch named (the client's own issuer when neither) */
  const challengeIssuers = new Map<string, string>();
  /** the kind of each challenge seen: a verify_email challenge is sent and answered by email */
  const challengeKinds = new Map<string, Challenge['kind']>();
  const challengeIn = (challenge: Challenge, environment?: string) => {
    const claimed = challenge.issuer;
    const to = typeof claimed === 'string' && sibling(claimed) === claimed ? claimed : environment ? issuerOf(environment) : null;
    if (challengeIssuers.size > 16) challengeIssuers.clear();
    if (challengeKinds.size > 16) challengeKinds.clear();
    if (to) challengeIssuers.set(challenge.id, to);
    challengeKinds.set(challenge.id, challenge.kind);
  };
  const byEmail = (challengeId: string) => challengeKinds.get(challengeId) === 'verify_email';
  // a call with the user's token goes to the issuer of the session it came from, one answering a challenge to the
  // challenge's (issue #19)
  const call: HttpCall = (path, o = {}) => {
    const challenge = /^auth\/challenge\/([^/]+)\//.exec(path)?.[1] ?? o.body?.challenge_id;
    const to = o.issuer ?? (o.token ? at(keeper.held()) : challengeIssuers.get(decodeURIComponent(String(challenge))));
    return raw(path, to ? { ...o, issuer: to } : o);
  };
  const sessionOf = (answer: TokenAnswer, user: User | null = null): Session => ({
    access_token: answer.access_token, refresh_token: answer.refresh_token, token_type: 'Bearer',
    access_expires_at: answer.access_expires_at, refresh_expires_at: answer.refresh_expires_at,
    issuer: sibling(claimedIssuer(answer.access_token)), user: answer.user ?? user,
  });
  const name = `tessera:${issuer}:${options.clientId}`;
  const storage = options.storage ?? defaultStorage();
  const pkce = options.flowType === 'implicit' ? null : createPkceStore(storage, `${name}:code-verifier`);

  const keeper = createSessionKeeper({
    issuer,
    storageKey: `${name}:session`,
    channelName: name,
    storage,
    refreshMarginSeconds: options.refreshMargin ?? 30,
    autoRefresh: options.autoRefresh ?? true,
    present: async (refreshToken, held) => sessionOf(await presentRefresh(refreshToken, held)),
  });

  /**
   * The coordinator lets one tab present a token, but a tab whose messages arrive late cannot know that another one
   * presents it too: the Idempotency-Key named after the token makes the two presentations one rotation, and the
   * later one gets the earlier one's answer (or waits for it while it is in progress).
   */
  async function presentRefresh(refreshToken: string, held: Session): Promise<TokenAnswer> {
    const headers = { 'idempotency-key': presentationKey(refreshToken) };
    for (;;) {
      try {
        return await call<TokenAnswer>('auth/refresh', { asApp: true, issuer: at(held), headers, body: { refresh_token: refreshToken } });
      } catch (error) {
        if (!(error instanceof TesseraError && error.code === 'idempotency.in_progress')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async function settle(answer: TokenAnswer | ChallengeAnswer): Promise<AuthResult> {
    if ('status' in answer && answer.status === 'challenge_required') return { status: 'challenge_required', challenge: answer.challenge };
    const session = sessionOf(answer as TokenAnswer);
    await keeper.signedIn(session);
    return { status: 'signed_in', session, user: session.user };
  }

  async function accessToken(): Promise<string> {
    const session = await keeper.current();
    if (!session) throw new TesseraError('sdk.not_signed_in', 'Sign in first.');
    return session.access_token;
  }

  const signInStep = (path: string, body: Record<string, unknown>, environment?: string) => call<TokenAnswer | ChallengeAnswer>(path, { asApp: true, body }).then((answer) => {
    if ('status' in answer && answer.status === 'challenge_required') challengeIn(answer.challenge, environment);
    return settle(answer);
  });
  const sendCode = (path: string, body: Record<string, unknown>) => call<CodeSent>(path, { asApp: true, body });
  /** a sign-in step that may finish a PKCE start: it brings the stored verifier, forgotten once the step is answered */
  async function withVerifier(path: string, body: Record<string, unknown>): Promise<AuthResult> {
    const verifier = pkce ? await pkce.verifier() : null;
    const result = await signInStep(path, verifier ? { ...body, code_verifier: verifier } : body);
    if (verifier) await pkce!.forget();
    return result;
  }

  const auth = {
    /** sends a code to the address; no account exists until verifySignup. The answer is the same for a taken address. */
    signUpWithEmail: (input: { email: string; password?: string; user_metadata?: Record<string, unknown> }) => sendCode('auth/signup', input),
    /** @throws TesseraError('otp.invalid_code' | 'otp.expired' | 'password.too_short' …) */
    verifySignup: (input: { email: string; code: string; password?: string }) => signInStep('auth/signup/verify', input),
    /** `environment` names where the tokens are for (default: the one the user last used, issue #19); the session
     *  then records that environment's issuer
     *  @throws TesseraError('login.invalid_credentials' | 'auth.rate_limited' | 'environment.not_found' | 'environment.forbidden') */
    signIn: (input: { email: string; password: string; environment?: string }) => signInStep('auth/login', input, input.environment),
    /**
     * answers a challenge with a TOTP, text-message or recovery code (method guessed from the code unless given), or a
     * verify_email challenge with the code emailed to the account (method `email`, the default for that kind); the
     * answer is tokens or the next challenge (a verified email may still owe a second factor)
     */
    verifyChallenge: (challengeId: string, code: string, method?: ChallengeMethod) =>
      signInStep(`auth/challenge/${encodeURIComponent(challengeId)}/verify`, { method: method ?? (byEmail(challengeId) ? 'email' : methodFor(code)), code: code.trim() }),
    /** sends the code of a challenge: to the text-message factor (`sms`), or for verify_email to the account's email (`email`) */
    sendChallengeCode: (challengeId: string, method?: ChallengeMethod) =>
      sendCode(`auth/challenge/${encodeURIComponent(challengeId)}/send`, { method: method ?? (byEmail(challengeId) ? 'email' : 'sms') }),
    /**
     * emails a code; with `options.emailRedirectTo` (one of the app's registered redirect URIs) a sign-in link to
     * that page, which calls verifyOtp with the link's token (Supabase's option of the same name)
     * @throws TesseraError('rest.redirect_not_allowed' | 'magiclink.disabled' | 'user.invalid_email' | 'auth.rate_limited')
     */
    signInWithOtp: async (input: { email: string; options?: { emailRedirectTo?: string } }): Promise<CodeSent | LinkSent> => (input.options?.emailRedirectTo
      ? call<LinkSent>('auth/magic-link', { asApp: true, body: { email: input.email, redirect_to: input.options.emailRedirectTo, ...(pkce ? await pkce.start() : {}) } })
      : sendCode('auth/otp', { email: input.email })),
    /**
     * the emailed code, or — on the page a sign-in link opened — the link's `token` as `token_hash` with type
     * 'magiclink' (Supabase's names): the link signs in this browser; with the verifier of the start (flowType pkce),
     * only if this is the app and device that asked for the link
     * @throws TesseraError('otp.invalid_code' | 'otp.expired' | 'magiclink.invalid' | 'pkce.invalid_verifier')
     */
    verifyOtp: (input: { email: string; code: string } | { token_hash: string; type: 'magiclink' }) => ('token_hash' in input
      ? withVerifier('auth/magic-link/verify', { token: input.token_hash })
      : withVerifier('auth/otp/verify', input)),
    /**
     * Social sign-in (Supabase's call of the same name): the URL of `{issuer}/v1/auth/authorize` for `provider` (a
     * connection the tenant enabled), back to `options.redirectTo` (a registered redirect URI), with a PKCE challenge
     * unless flowType is implicit. In a browser it goes there at once unless `skipBrowserRedirect`; the page at
     * `redirectTo` then calls exchangeCodeForSession(location.href).
     * @throws TesseraError('sdk.pkce_unavailable')
     */
    async signInWithOAuth(input: { provider: string; options: { redirectTo: string; skipBrowserRedirect?: boolean } }): Promise<OAuthStart> {
      const query = new URLSearchParams({ provider: input.provider, redirect_to: input.options.redirectTo });
      if (options.clientId !== builtInClientId) query.set('client_id', options.clientId);
      if (pkce) for (const [key, value] of Object.entries(await pkce.start())) query.set(key, value);
      const url = `${issuer}/v1/auth/authorize?${query}`;
      const here = (globalThis as { location?: { assign(url: string): void } }).location;
      if (!input.options.skipBrowserRedirect && here?.assign) here.assign(url);
      return { provider: input.provider, url };
    },
    /**
     * On the page a sign-in link or social sign-in returned to: `callback` is its URL (or query), whose `type`
     * (`magiclink`, `federated`) and `token` Tessera added; verified with the stored PKCE verifier
     * @throws TesseraError('sdk.invalid_callback' | 'magiclink.invalid' | 'federated.invalid' | 'pkce.invalid_verifier' …)
     */
    exchangeCodeForSession(callback: string): Promise<AuthResult> {
      const params = new URL(String(callback), 'https://callback.invalid/').searchParams;
      const type = params.get('type');
      const token = params.get('token');
      if (!token || (type !== 'magiclink' && type !== 'federated')) return Promise.reject(new TesseraError('sdk.invalid_callback', 'The URL carries no sign-in link or social sign-in token (type=magiclink|federated&token=…).'));
      return withVerifier(type === 'magiclink' ? 'auth/magic-link/verify' : 'auth/federated/verify', { token, type });
    },
    signInWithSms: (phone: string, channel: 'sms' | 'whatsapp' = 'sms') => sendCode('auth/otp', { phone, channel }),
    verifySmsOtp: (phone: string, code: string) => signInStep('auth/otp/verify', { phone, code }),
    /** sends a reset code; the same answer whether or not the address has an account */
    resetPasswordForEmail: (email: string, method: 'email' | 'sms' = 'email') => sendCode('auth/recovery/initiate', { email, method }),
    /** sets the new password and ends the user's sessions; sign in afterwards (second factor included) */
    verifyPasswordReset: (input: { email: string; code: string; password: string }) => call<{ status: 'password_reset' }>('auth/recovery/verify', { asApp: true, body: input }),

    /** the session, refreshed first when its access token is due; null when signed out */
    getSession: () => keeper.current(),
    /** a valid access token for your own API calls */
    getAccessToken: accessToken,
    /** a new access and refresh token now, shared with every caller and tab refreshing at the same time */
    async refresh(): Promise<Session> {
      const session = await keeper.current(true);
      if (!session) throw new TesseraError('sdk.not_signed_in', 'Sign in first.');
      return session;
    },
    /** revokes the refresh token's family at the server and forgets the session in every tab */
    async signOut(): Promise<void> {
      await keeper.ready;
      const held = keeper.held();
      try {
        if (held) await call<null>('auth/logout', { asApp: true, issuer: at(held), body: { refresh_token: held.refresh_token } });
      } finally {
        await keeper.signedOut();
      }
    },
    /** the user, roles, permissions and session as the server sees them now (GET /v1/whoami) */
    async whoami(): Promise<WhoAmI> {
      return call<WhoAmI>('whoami', { token: await accessToken() });
    },
    async getUser(): Promise<User> {
      const { user } = await auth.whoami();
      const held = keeper.held();
      if (held && JSON.stringify(held.user) !== JSON.stringify(user)) await keeper.userUpdated({ ...held, user });
      return user;
    },
    /** the tenant's environments the user may enter (GET /v1/environments), `current` the session's */
    async listEnvironments(): Promise<Environment[]> {
      return (await call<{ items: Environment[] }>('environments', { token: await accessToken() })).items;
    },
    /**
     * The session of another environment of the tenant without signing in again (POST /v1/auth/switch, issue #19):
     * the held refresh token goes through the refresh coordinator (never racing a refresh), the new session records
     * the target's issuer (refresh, whoami and sign-out go there), the old environment's tokens are revoked, and
     * listeners hear ENVIRONMENT_SWITCHED. A challenge (the target's MFA policy) keeps the session until it is
     * answered (at the target's issuer); its tokens then replace the session as a sign-in (SIGNED_IN).
     * @throws TesseraError('environment.not_found' | 'environment.forbidden' | 'rest.disabled' | 'token.invalid_refresh' | 'sdk.not_signed_in')
     */
    async switchEnvironment(environment: string): Promise<AuthResult> {
      let refused: unknown = null;
      let challenge: Challenge | null = null;
      const next = await keeper.exchange(async (refreshToken, from) => {
        let answer: TokenAnswer | ChallengeAnswer;
        try {
          answer = await call<TokenAnswer | ChallengeAnswer>('auth/switch', { asApp: true, issuer: at(from), body: { refresh_token: refreshToken, environment } });
        } catch (error) {
          // a switch never spends the token: refused or unanswered, it stays the session's
          refused = error;
          return null;
        }
        if ('status' in answer && answer.status === 'challenge_required') {
          challenge = answer.challenge;
          challengeIn(answer.challenge, environment);
          return null;
        }
        const session = sessionOf(answer as TokenAnswer, from.user);
        // the client keeps one session: the one left behind ends (unless the switch stayed where it was)
        if (session.issuer !== at(from)) await call<null>('auth/logout', { asApp: true, issuer: at(from), body: { refresh_token: refreshToken } }).catch(() => undefined);
        return session;
      });
      if (refused) throw refused;
      if (challenge || !next) return { status: 'challenge_required', challenge: challenge! };
      return { status: 'signed_in', session: next, user: next.user };
    },
    /** INITIAL_SESSION first, then SIGNED_IN, TOKEN_REFRESHED, ENVIRONMENT_SWITCHED, SIGNED_OUT, USER_UPDATED; returns the unsubscribe */
    onAuthStateChange: (listener: AuthStateListener) => keeper.subscribe(listener),
  };

  return {
    auth,
    /** ends the refresh timer and the cross-tab channel (hot reload, React Strict Mode); the session stays stored */
    dispose: () => keeper.dispose(),
    [clientCore]: { call, accessToken, settle } satisfies ClientCore,
  };
}

export type TesseraClient = ReturnType<typeof createClient>;
