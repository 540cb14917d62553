// createClient: the app SDK's core (`tessera/client`). Sign-up, sign-in and its challenge, one-time codes, password
// reset, and the session (refresh, sign-out, user, events) over the REST auth API `{issuer}/v1/…`. MFA management
// and passkeys are separate imports (`tessera/client/mfa`, `tessera/client/passkeys`) that add their methods to
// client.auth, so an app that needs neither does not ship them.
import { TesseraError } from './client-error.js';
import type { AuthResult, AuthStateListener, Challenge, ChallengeMethod, ClientOptions, CodeSent, Session, User, WhoAmI } from './client-types.js';
import { builtInClientId, createHttpCall, type HttpCall } from './http-call.js';
import { createSessionKeeper } from './session-keeper.js';
import { clientCore, type ChallengeAnswer, type ClientCore, type TokenAnswer } from './client-core.js';

const sessionOf = (answer: TokenAnswer): Session => ({
  access_token: answer.access_token, refresh_token: answer.refresh_token, token_type: 'Bearer',
  access_expires_at: answer.access_expires_at, refresh_expires_at: answer.refresh_expires_at, user: answer.user ?? null,
});

/** a code that is all digits is one from an authenticator app or a text message; anything else a recovery code */
const methodFor = (code: string, challenge?: ChallengeMethod): ChallengeMethod => challenge ?? (/^\d{6,8}$/.test(code.trim()) ? 'totp' : 'recovery_code');

export function createClient(options: ClientOptions) {
  if (!options || typeof options.issuer !== 'string' || !/^https?:\/\//.test(options.issuer)) throw new TypeError('createClient: issuer must be the tenant\'s issuer URL.');
  if (typeof options.clientId !== 'string' || !options.clientId) throw new TypeError(`createClient: clientId is required ("${builtInClientId}" for the built-in client).`);
  if (options.clientId !== builtInClientId && !options.clientSecret) throw new TypeError(`createClient: a headless app's clientId needs its clientSecret (servers only); browsers use "${builtInClientId}".`);
  const issuer = options.issuer.replace(/\/+$/, '');
  const call = createHttpCall(issuer, options.clientId, options.clientSecret, options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
  const name = `tessera:${issuer}:${options.clientId}`;

  const keeper = createSessionKeeper({
    storageKey: `${name}:session`,
    channelName: name,
    storage: options.storage,
    refreshMarginSeconds: options.refreshMargin ?? 30,
    autoRefresh: options.autoRefresh ?? true,
    // no Idempotency-Key: the coordinator never retries a presented token, so there is no repeat to deduplicate
    present: async (refreshToken) => sessionOf(await call<TokenAnswer>('auth/refresh', { asApp: true, body: { refresh_token: refreshToken } })),
  });

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

  const signInStep = (path: string, body: Record<string, unknown>) => call<TokenAnswer | ChallengeAnswer>(path, { asApp: true, body }).then(settle);
  const sendCode = (path: string, body: Record<string, unknown>) => call<CodeSent>(path, { asApp: true, body });

  const auth = {
    /** sends a code to the address; no account exists until verifySignup. The answer is the same for a taken address. */
    signUpWithEmail: (input: { email: string; password?: string; user_metadata?: Record<string, unknown> }) => sendCode('auth/signup', input),
    /** @throws TesseraError('otp.invalid_code' | 'otp.expired' | 'password.too_short' …) */
    verifySignup: (input: { email: string; code: string; password?: string }) => signInStep('auth/signup/verify', input),
    /** @throws TesseraError('login.invalid_credentials' | 'auth.rate_limited') */
    signIn: (input: { email: string; password: string }) => signInStep('auth/login', input),
    /** answers a challenge with a TOTP, text-message or recovery code (method guessed from the code unless given) */
    verifyChallenge: (challengeId: string, code: string, method?: ChallengeMethod) =>
      signInStep(`auth/challenge/${encodeURIComponent(challengeId)}/verify`, { method: methodFor(code, method), code: code.trim() }),
    /** sends the code of a challenge's text-message method */
    sendChallengeCode: (challengeId: string, method: ChallengeMethod = 'sms') => sendCode(`auth/challenge/${encodeURIComponent(challengeId)}/send`, { method }),
    signInWithOtp: (input: { email: string }) => sendCode('auth/otp', { email: input.email }),
    verifyOtp: (input: { email: string; code: string }) => signInStep('auth/otp/verify', input),
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
        if (held) await call<null>('auth/logout', { asApp: true, body: { refresh_token: held.refresh_token } });
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
    /** INITIAL_SESSION first, then SIGNED_IN, TOKEN_REFRESHED, SIGNED_OUT, USER_UPDATED; returns the unsubscribe */
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
