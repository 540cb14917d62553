// The shapes the app SDK hands to an app: sessions, users, challenges and the result of every sign-in step, as the
// REST auth API answers them (README "REST auth API", /work contract of issue #16 §3).

/** the token answer, kept as the session: absolute expiry times in ISO 8601 */
export interface Session {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  access_expires_at: string;
  refresh_expires_at: string;
  /** the issuer of these tokens: the client's own, or a sibling environment's after a switch or a sign-in that
   *  landed there (issue #19); refresh, sign-out and whoami go to it. Absent in sessions stored before: the client's */
  issuer?: string;
  /** the user, when the answer carried one (sign-up, code and passkey sign-in) or once getUser() read it */
  user: User | null;
}

export interface User {
  id: string;
  email: string | null;
  email_verified?: boolean;
  phone?: string | null;
  phone_verified?: boolean;
  [field: string]: unknown;
}

/** GET /v1/whoami */
export interface WhoAmI {
  user: User;
  tenant: { slug: string; name: string; issuer: string };
  app: string;
  roles: string[];
  permissions: string[];
  amr?: string[];
  session: { id?: string; auth_time: string | null; expires_at: string | null };
}

export type ChallengeKind = 'mfa' | 'enrol_mfa' | 'verify_email' | 'step_up';
/** `email`: a verify_email challenge's code, sent to the account's email */
export type ChallengeMethod = 'totp' | 'sms' | 'webauthn' | 'recovery_code' | 'email' | (string & {});

/** the one challenge envelope of every JSON API (DESIGN.md) */
export interface Challenge {
  id: string;
  kind: ChallengeKind;
  methods: ChallengeMethod[];
  expires_at: string;
  /** the issuer whose sign-in holds the challenge (the client's own or one of its environments, issue #19) */
  issuer?: string;
}

/** every step that can end a sign-in: tokens, or a challenge to answer with verifyChallenge() */
export type AuthResult =
  | { status: 'signed_in'; session: Session; user: User | null }
  | { status: 'challenge_required'; challenge: Challenge };

/** a code went out (sign-up, one-time code, password reset) */
export interface CodeSent {
  status: 'code_sent';
  expires_in: number;
}

/** a sign-in link went out (or would have: the same answer for an unknown address) */
export interface LinkSent {
  status: 'link_sent';
  expires_in: number;
}

/** one of the tenant's environments the user may enter (GET /v1/environments) */
export interface Environment {
  environment: string;
  issuer: string;
  /** the environment of the session's tokens */
  current: boolean;
}

export type AuthEvent = 'INITIAL_SESSION' | 'SIGNED_IN' | 'TOKEN_REFRESHED' | 'ENVIRONMENT_SWITCHED' | 'SIGNED_OUT' | 'USER_UPDATED';
export type AuthStateListener = (event: AuthEvent, session: Session | null) => void;

/** localStorage, sessionStorage, React Native's AsyncStorage or anything with these three calls */
export interface SessionStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export interface ClientOptions {
  /** the tenant's issuer, e.g. https://id.example.com/t/acme; the API is `{issuer}/v1` */
  issuer: string;
  /** `tessera-rest` for the tenant's built-in first-party client (no secret: browsers and apps), or the client id of a
   *  headless app together with its clientSecret (servers only: a secret must never reach a browser) */
  clientId: string;
  clientSecret?: string;
  /** where the session is kept; localStorage in a browser, memory elsewhere */
  storage?: SessionStorage;
  /** seconds before the access token's expiry at which it is refreshed (default 30) */
  refreshMargin?: number;
  /** refresh ahead of expiry on a timer (default true) */
  autoRefresh?: boolean;
  /** the fetch to use (default globalThis.fetch) */
  fetch?: typeof fetch;
  /**
   * `pkce` (default): sign-in links and social sign-in start with a code challenge and finish with its verifier, kept
   * in `storage`, so the token handed to your redirect URI signs in only this app on this device (RFC 7636);
   * `implicit`: neither is sent (the flow of Supabase's `flowType: 'implicit'`), refused where the tenant requires PKCE
   */
  flowType?: 'pkce' | 'implicit';
}

/** signInWithOAuth: where to send the browser (already sent there, in a browser, unless skipBrowserRedirect) */
export interface OAuthStart {
  provider: string;
  url: string;
}
