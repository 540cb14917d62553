// One contract for every way in (issue #16 §1): what a method is called, which RFC 8176 `amr` values proving it
// adds, whether it is a first or a second factor, whether a tenant offers it, how it starts (sends a code …), how
// its answer is checked, and how it appears on the hosted login page. Koa-free: the hosted pages and the JSON front
// doors call the same start/verify and feed the outcome to the login transaction (src/login/).
//
// API:
//   interface AuthMethod { id; amr; factor; availableFor(tenant); start?(input); verify?(input); loginPage }
//   VerifyingMethod: an AuthMethod whose proof a caller can hand over (what the JSON front doors find by id)
//   the registry (one line per method, each method one folder): auth-method-registry.ts
import type { CourierTenant } from '../notifications/courier.js';
import type { LinkSignsIn } from '../notifications/email/email-templates.js';
import type { Locale } from '../i18n/i18n.js';

export type FactorKind = 'first' | 'second';

/** locale: the language the code's message is written in (the asking page's, or the JSON call's); else the tenant's */
export interface MethodRequest { ip: string; userAgent: string | null; locale?: Locale }

export interface MethodStartInput {
  tenant: CourierTenant;
  /** as typed: each method normalises (email, E.164 phone) and refuses what is not one; a second factor ignores it */
  identifier: string;
  /** second factor: the user the transaction identified (its code goes to that user's enrolled number) */
  userId?: string | null;
  /** the login transaction the challenge belongs to (its id binds the challenge like an interaction uid) */
  transactionId: string;
  request: MethodRequest;
  /** whether a first verified sign-in may create the account; default: the tenant's sign-up setting */
  allowSignUp?: boolean;
  /**
   * methods that send a link (magic link): the URL the one-time token is appended to, and whom the link signs in —
   * the browser that asked (hosted page: bound to its interaction), the app on the device that asked (an app's page,
   * started with PKCE: bound to the holder of the verifier) or the browser that opens it (an app's page without PKCE)
   */
  linkTo?: { base: string; signsIn: LinkSignsIn };
}

export type MethodStartOutcome =
  /** `identifier` null for a second factor (it goes to what the user enrolled) */
  | { ok: true; challengeId: string; /** epoch ms */ expiresAt: number; identifier: { kind: 'email' | 'phone'; value: string } | null }
  | { ok: false; error: 'invalid_identifier' }
  | { ok: false; error: 'rate_limited'; retryAfterSeconds: number };

export interface MethodVerifyInput {
  tenant: CourierTenant;
  /** first factor: the challenge started for the transaction (codes); none for a password */
  challengeId?: string | null;
  /** first factor without a challenge (password): who claims to sign in */
  identifier?: string;
  /** second factor: the user the transaction identified */
  userId?: string | null;
  /** the code or password as typed, or a link's token (magic link: then no challengeId) */
  secret: string;
  request: MethodRequest;
  /** code methods: the login transaction the challenge was started for */
  transactionId?: string;
  /** as in MethodStartInput */
  allowSignUp?: boolean;
}

export type MethodVerifyOutcome =
  /**
   * `userId` null: the identifier was proven but has no account yet (a first sign-in by code). `verifyEmail`: the
   * proof was right, but the tenant wants this account's email proven before it signs in (password: signIn.requireVerifiedEmail);
   * the caller hands it to the login transaction, which then waits in `email_verification_required`
   */
  | { ok: true; userId: string | null; identifier: { kind: 'email' | 'phone'; value: string } | null; amr: string[]; signUp: boolean; verifyEmail?: boolean }
  | { ok: false; error: 'wrong'; attemptsLeft: number | null }
  | { ok: false; error: 'locked' | 'expired' }
  | { ok: false; error: 'rate_limited'; retryAfterSeconds: number }
  /** an upstream sign-in (federated) whose account may not be opened this way: an existing account must link it first, sign-up is closed, or the account is disabled */
  | { ok: false; error: 'refused'; reason: 'link_required' | 'sign_up_closed' | 'disabled' };

/**
 * How a method shows on the hosted login page (views/login.ejs): the flag its part of the page is drawn under and the
 * route it posts to. A flag the template has no part for is drawn as a plain button to `path` (views/partials).
 */
export interface LoginPageEntry {
  flag: string;
  /** relative to the interaction's base path */
  path: string;
  /** catalogue key of its button (src/i18n) */
  label: string;
}

export interface AuthMethod {
  /** stable id, also the `method` of audit events and of the login transaction */
  id: string;
  /** RFC 8176 values a success adds (a code by SMS is `sms`, by email or WhatsApp `otp`; the channel that delivered decides) */
  amr: readonly string[];
  factor: FactorKind;
  availableFor(tenant: CourierTenant): boolean;
  /** methods that send something first (codes); absent for a password or a TOTP */
  start?(input: MethodStartInput): Promise<MethodStartOutcome>;
  /**
   * checks a proof the caller hands over (a password, a code, a link's token, a WebAuthn assertion); absent for a
   * method whose proof comes back through a browser redirect (federated), which its own routes check
   */
  verify?(input: MethodVerifyInput): Promise<MethodVerifyOutcome>;
  loginPage: LoginPageEntry | null;
}

export type VerifyingMethod = AuthMethod & Required<Pick<AuthMethod, 'verify'>>;
