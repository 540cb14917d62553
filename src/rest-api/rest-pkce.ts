// PKCE for the REST auth API's redirect-borne sign-ins (sign-in links, social sign-in): RFC 7636 applied to the
// one-time token those flows hand to the app's redirect URI, as Supabase Auth's PKCE flow does for its links. The
// start carries `code_challenge` (S256 only) and the login transaction keeps it — a hash already, sealed with the
// record; the call that finishes the sign-in must bring the `code_verifier`. A token that reaches anyone else (a mail
// scanner, a referrer, another app claiming the redirect scheme, a browser history) signs nobody in without it.
//
// A wrong or missing verifier is refused BEFORE the token is looked at by its method, so it spends nothing: the app
// and device that started keep their sign-in until the token expires, and someone holding a leaked token can neither
// use it nor burn it (each refusal is audited as login.failed). Guessing is no way in: RFC 7636 §7.1
// asks for 256 bits in the verifier, and the token itself lives minutes.
// A verifier sent for a sign-in started without a challenge is refused too (RFC 9700 §2.1.1's PKCE downgrade rule):
// a page that holds a verifier expects a sign-in it started, not a token someone else's flow put in its URL.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import type { Answer } from '../otp-api/idempotency.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import type { LoginTransaction } from '../login/login-transaction.machine.js';

/** RFC 7636 §4.2 with S256: BASE64URL(SHA-256(verifier)), always 43 characters */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

/**
 * The code challenge a start carries, checked; null when it carries none and PKCE is not required.
 * `code_challenge_method` defaults to `plain` when absent (RFC 7636 §4.3), so a challenge without it is refused as
 * plain. `s256` is accepted as Supabase's client libraries spell it.
 * @throws AppError('pkce.required' | 'pkce.method_not_supported' | 'pkce.invalid_challenge')
 */
export function codeChallengeOf(input: { code_challenge?: unknown; code_challenge_method?: unknown }, required: boolean): string | null {
  const { code_challenge: challenge, code_challenge_method: method } = input;
  if (challenge === undefined && method === undefined) {
    if (required) throw new AppError('pkce.required');
    return null;
  }
  if (challenge === undefined) throw new AppError('pkce.invalid_challenge', 'Send "code_challenge" with "code_challenge_method".');
  if (typeof method !== 'string' || method.toUpperCase() !== 'S256') throw new AppError('pkce.method_not_supported');
  if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) throw new AppError('pkce.invalid_challenge');
  return challenge;
}

/**
 * Whether `verifier` may finish the sign-in of `tx`: null when it may, else the answer to give (nothing is spent).
 * `requirePkce`: the tenant's headless.requirePkce — a sign-in started without a challenge (before the setting was
 * turned on) finishes no more. `lenient`: a verifier sent for a sign-in without a challenge is ignored, not refused
 * (the typed email code, which no redirect carries).
 */
export function verifierRefusal(tx: Pick<LoginTransaction, 'codeChallenge'>, verifier: unknown, options: { requirePkce: boolean; lenient?: boolean }): Answer | null {
  const challenge = tx.codeChallenge ?? null;
  if (!challenge) {
    if (options.requirePkce && !options.lenient) return errorAnswer('pkce.required');
    return verifier === undefined || options.lenient ? null : errorAnswer('pkce.invalid_verifier');
  }
  if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) return errorAnswer('pkce.invalid_verifier');
  const matches = timingSafeEqual(Buffer.from(s256(verifier), 'ascii'), Buffer.from(challenge, 'ascii'));
  return matches ? null : errorAnswer('pkce.invalid_verifier');
}

/** a refused verifier, audited (login.failed, its reason the error code) so a leaked token being tried is seen, then answered */
export async function pkceRefused(ctx: Context, services: Services, tenantId: string, method: string, answer: Answer): Promise<Answer> {
  const reason = (answer.body as { error: string }).error;
  await services.audit.record({ tenantId, type: 'login.failed', ip: ctx.ip, userAgent: ctx.get('User-Agent') || null, outcome: 'failure', data: { method, reason, front: 'rest_api' } });
  return answer;
}
