// The login transaction (issue #16 §1): one explicit state machine for every front door (hosted pages, the backend
// OTP API, the REST API). Every transition is a PURE function of (transaction, event, tenant policy, clock): no
// store, no request, no Date.now(). Facts that need I/O (does the user have a factor, is this device trusted) are
// looked up by the caller and carried in the event. Persistence: login-transaction.store.ts.
//
//   identified ──first_factor_passed──▶ first_factor_passed ──second_factor_assessed──▶ completed
//              └─first_factor_passed (verifyEmail)──▶ email_verification_required ──email_verified──▶ first_factor_passed
//                                                                                     │▶ second_factor_required ──second_factor_passed──▶ completed
//                                                                                     └▶ enrolment_required ─────enrolled──────────────▶ completed
//   any live state ──failed──▶ failed          any live state, once the clock passes expiresAt ──▶ expired
//   completed ──tokens_issued (once, by the app that started it)──▶ completed, redeemed
//   (hosted: the interaction handed to oidc-provider; JSON: tokens minted by the token endpoint's grant)
//
// API (for the next front door):
//   beginLogin(input: BeginLogin, now: number): LoginTransaction
//   transition(tx: LoginTransaction, event: LoginEvent, policy: LoginPolicy | null, now: number): TransitionResult
//     (policy null: events that need no policy; second_factor_assessed then refuses)
//   isTerminal(state: LoginState): boolean
import { ACR_MFA } from '../oidc/protocol-names.js';
import type { MfaSettings } from '../tenants/mfa-settings.js';

export const loginStates = ['identified', 'first_factor_passed', 'email_verification_required', 'second_factor_required', 'enrolment_required', 'completed', 'failed', 'expired'] as const;
export type LoginState = (typeof loginStates)[number];

/** which front door drives the transaction */
export type LoginFront = 'hosted' | 'otp_api' | 'rest_api';

/** the tenant policy a transition may consult: its second-factor settings */
export type LoginPolicy = Pick<MfaSettings, 'policy' | 'graceDays' | 'requiredSince' | 'trustedDeviceDays' | 'factors'>;

export interface LoginTransaction {
  /** 16 random bytes, base64url: handed to the client (e.g. `otp_request_id`), so it must not be guessable */
  id: string;
  tenantId: string;
  /** the app (client_id) that started it; null for none */
  clientId: string | null;
  front: LoginFront;
  state: LoginState;
  /** bumped by every transition */
  version: number;
  /** epoch ms by the caller's clock */
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** who is signing in, as typed and normalised (email or E.164 phone); null for a method without one (passkey) */
  identifier: { kind: 'email' | 'phone'; value: string } | null;
  /** the method that identified the user (registry id, e.g. `email_otp`) */
  method: string;
  /** method state for the current step (e.g. the one-time code challenge id) */
  challengeId: string | null;
  /**
   * what the identifying method leaves for the first factor's success to finish (the hosted federated method: the
   * upstream account to link once the user proves the existing one); opaque to the machine, null for none
   */
  methodData?: Record<string, unknown> | null;
  /**
   * the S256 code challenge (RFC 7636 §4.2: BASE64URL(SHA-256(code_verifier))) the JSON front door's start carried
   * (REST sign-in links and social sign-in): the call that finishes the sign-in must bring its verifier; absent or
   * null for none
   */
  codeChallenge?: string | null;
  userId: string | null;
  /** RFC 8176 values proven so far */
  amr: string[];
  /** set on completion: ACR_MFA when a second factor was proven */
  acr: string | null;
  /** the client asked for a fresh second factor (acr_values naming MFA, or max_age) */
  stepUp: boolean;
  /**
   * second_factor_required: the factors that may answer; enrolment_required: the factors that may be enrolled;
   * email_verification_required: how the account's email may be proven (`email`: a code sent to it)
   */
  methods: string[];
  /** failed: why (`locked`, `disabled`, `aborted`, …) */
  failure: string | null;
  /** completed and already exchanged for tokens: a completed sign-in yields tokens once */
  redeemed: boolean;
}

export type LoginEvent =
  /** a new code or challenge for the identifying method (a resend) */
  | { type: 'challenge_started'; challengeId: string }
  /**
   * the first factor was proven for this user (password right, code right …). `verifyEmail`: the method's policy
   * wants the account's email proven before the sign-in goes on (signIn.requireVerifiedEmail, password.method.ts)
   */
  | { type: 'first_factor_passed'; userId: string; method: string; amr: readonly string[]; verifyEmail?: boolean }
  /** the account's email was proven (a code sent to it) while email verification was required */
  | { type: 'email_verified'; amr: readonly string[] }
  /**
   * what the second-factor gate needs to know about the user, looked up by the caller. `alsoAccepted`: factors that
   * may answer once a second factor is due but never make one due by themselves (the hosted pages' codes by SMS or
   * email to a verified address, recovery codes); optional, none by default
   */
  | { type: 'second_factor_assessed'; enrolledFactors: readonly string[]; trustedDevice: boolean; alsoAccepted?: readonly string[] }
  /** a second factor was proven (`totp`, `recovery_code`, `passkey`, `sms`, `email`) */
  | { type: 'second_factor_passed'; method: string; amr: readonly string[] }
  /** a factor was enrolled and proven while enrolment was required */
  | { type: 'enrolled'; method: string; amr: readonly string[] }
  | { type: 'failed'; reason: string }
  /** the completed sign-in was exchanged for tokens by `clientId` (the token endpoint's login-transaction grant) */
  | { type: 'tokens_issued'; clientId: string };

export type TransitionError = 'login.expired' | 'login.invalid_transition';

export type TransitionResult =
  | { ok: true; tx: LoginTransaction }
  /** `tx` is the transaction as it now stands (expired, or unchanged) */
  | { ok: false; error: TransitionError; tx: LoginTransaction };

export interface BeginLogin {
  id: string;
  tenantId: string;
  clientId: string | null;
  front: LoginFront;
  method: string;
  identifier: LoginTransaction['identifier'];
  challengeId?: string | null;
  methodData?: Record<string, unknown> | null;
  codeChallenge?: string | null;
  stepUp?: boolean;
  /** lifetime of the whole transaction, seconds */
  ttlSeconds: number;
}

const DAY = 86_400_000;
const terminal: ReadonlySet<LoginState> = new Set(['completed', 'failed', 'expired']);

export const isTerminal = (state: LoginState): boolean => terminal.has(state);

/** @throws RangeError for a non-positive TTL */
export function beginLogin(input: BeginLogin, now: number): LoginTransaction {
  if (!Number.isSafeInteger(input.ttlSeconds) || input.ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a positive integer, got ${input.ttlSeconds}`);
  return {
    id: input.id, tenantId: input.tenantId, clientId: input.clientId, front: input.front, state: 'identified', version: 1,
    createdAt: now, updatedAt: now, expiresAt: now + input.ttlSeconds * 1000,
    identifier: input.identifier, method: input.method, challengeId: input.challengeId ?? null, methodData: input.methodData ?? null,
    ...(input.codeChallenge ? { codeChallenge: input.codeChallenge } : {}), userId: null,
    amr: [], acr: null, stepUp: input.stepUp ?? false, methods: [], failure: null, redeemed: false,
  };
}

/** the factors a policy lets count: TOTP brings its recovery codes along */
function allowedFactors(policy: LoginPolicy, factors: readonly string[]): string[] {
  const allowed = factors.filter((f) => f === 'recovery_code' || (f in policy.factors && policy.factors[f as keyof LoginPolicy['factors']]));
  return [...new Set(allowed)];
}

/**
 * The second-factor decision for every front door (the hosted MFA gate, auth-methods/mfa/mfa-gate.ts, looks up its facts):
 * amr already `mfa` → completed; policy off and no step-up → completed; an enrolled factor → asked for it unless
 * this device is trusted and no step-up was asked; no factor → completed unless the policy is required and its
 * grace period (from requiredSince) is over, then enrolment.
 */
function assess(tx: LoginTransaction, event: Extract<LoginEvent, { type: 'second_factor_assessed' }>, policy: LoginPolicy, now: number): LoginTransaction {
  const done = { ...tx, state: 'completed' as const, acr: tx.amr.includes('mfa') ? ACR_MFA : null, methods: [] };
  if (tx.amr.includes('mfa')) return done;
  if (policy.policy === 'off' && !tx.stepUp) return done;
  const enrolled = allowedFactors(policy, event.enrolledFactors);
  if (enrolled.some((f) => f !== 'recovery_code')) {
    if (!tx.stepUp && policy.trustedDeviceDays > 0 && event.trustedDevice) return done;
    return { ...tx, state: 'second_factor_required', methods: allowedFactors(policy, [...enrolled, ...(event.alsoAccepted ?? [])]) };
  }
  if (policy.policy !== 'required') return done;
  const since = policy.requiredSince ? Date.parse(policy.requiredSince) : 0;
  if (now < since + policy.graceDays * DAY) return done;
  return { ...tx, state: 'enrolment_required', methods: allowedFactors(policy, ['totp', 'passkey', 'sms', 'email']) };
}

function withMfa(tx: LoginTransaction, amr: readonly string[]): LoginTransaction {
  return { ...tx, state: 'completed', amr: [...new Set([...tx.amr, ...amr, 'mfa'])], acr: ACR_MFA, methods: [] };
}

function next(tx: LoginTransaction, event: LoginEvent, policy: LoginPolicy | null, now: number): LoginTransaction | null {
  if (event.type === 'failed') return { ...tx, state: 'failed', failure: event.reason, methods: [] };
  switch (tx.state) {
    case 'identified':
      if (event.type === 'challenge_started') return { ...tx, challengeId: event.challengeId };
      if (event.type === 'first_factor_passed') {
        const passed = { ...tx, userId: event.userId, method: event.method, amr: [...new Set(event.amr)], challengeId: null };
        return event.verifyEmail ? { ...passed, state: 'email_verification_required', methods: ['email'] } : { ...passed, state: 'first_factor_passed' };
      }
      return null;
    case 'email_verification_required':
      // the code sent to the email is the step's challenge; once it is right, the second-factor decision follows
      if (event.type === 'challenge_started') return { ...tx, challengeId: event.challengeId };
      return event.type === 'email_verified' ? { ...tx, state: 'first_factor_passed', amr: [...new Set([...tx.amr, ...event.amr])], challengeId: null, methods: [] } : null;
    case 'first_factor_passed':
      return event.type === 'second_factor_assessed' && policy ? assess(tx, event, policy, now) : null;
    case 'second_factor_required':
      if (event.type === 'challenge_started') return { ...tx, challengeId: event.challengeId };
      return event.type === 'second_factor_passed' && tx.methods.includes(event.method) ? withMfa({ ...tx, challengeId: null }, event.amr) : null;
    case 'enrolment_required':
      // the factor being set up (e.g. the unconfirmed TOTP's id) is the step's challenge
      if (event.type === 'challenge_started') return { ...tx, challengeId: event.challengeId };
      return event.type === 'enrolled' && tx.methods.includes(event.method) ? withMfa(tx, event.amr) : null;
    default:
      return null;
  }
}

/**
 * One step of the machine. A live transaction past its expiresAt becomes `expired` whatever the event; a terminal
 * one accepts nothing; an event the current state does not expect (or a factor it did not offer) changes nothing.
 */
export function transition(tx: LoginTransaction, event: LoginEvent, policy: LoginPolicy | null, now: number): TransitionResult {
  if (event.type === 'tokens_issued') {
    // a completed transaction's one exchange; its own expiry still applies
    if (tx.state !== 'completed' || tx.redeemed || tx.clientId !== event.clientId) return { ok: false, error: 'login.invalid_transition', tx };
    if (now >= tx.expiresAt) return { ok: false, error: 'login.expired', tx };
    return { ok: true, tx: { ...tx, redeemed: true, version: tx.version + 1, updatedAt: now } };
  }
  if (isTerminal(tx.state)) return { ok: false, error: tx.state === 'expired' ? 'login.expired' : 'login.invalid_transition', tx };
  if (now >= tx.expiresAt) return { ok: false, error: 'login.expired', tx: { ...tx, state: 'expired', version: tx.version + 1, updatedAt: now, methods: [] } };
  const moved = next(tx, event, policy, now);
  if (!moved) return { ok: false, error: 'login.invalid_transition', tx };
  return { ok: true, tx: { ...moved, version: tx.version + 1, updatedAt: now } };
}
