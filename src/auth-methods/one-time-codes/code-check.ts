// Checking a typed code against its challenge, for every front door that takes codes without a browser form (the
// code sign-in method, the REST API's sign-up and recovery): the per-identifier and per-IP attempt limits across
// codes, reserved before the code is judged (store/attempt-guard.ts), the per-code attempts (one-time-codes.ts), and
// the audit events of each outcome.
import type { AuditLog } from '../../audit/audit-log.js';
import type { CourierTenant } from '../../notifications/courier.js';
import { reserveAttempt } from '../../store/attempt-guard.js';
import type { RateLimiter, RateRule } from '../../store/rate-limiter.js';
import type { CodeChallenges } from './code-challenges.js';
import type { Challenge } from './one-time-codes.js';

/**
 * Guesses across codes: each code dies after its own attempts (one-time-codes.ts), and these limits bound the
 * guesses spread over many codes for one email/phone (a new code every few minutes) and from one IP.
 */
export const codeVerifyLimits = {
  identifier: { limit: 10, windowSeconds: 15 * 60 } satisfies RateRule,
  ip: { limit: 50, windowSeconds: 15 * 60 } satisfies RateRule,
};

export interface CodeCheckDeps { limiter: RateLimiter; challenges: CodeChallenges; audit: AuditLog }

export type LimitedCodeCheck =
  | { status: 'ok'; challenge: Challenge }
  /** attemptsLeft null: not even a code's shape (nothing was counted) */
  | { status: 'wrong'; attemptsLeft: number | null }
  | { status: 'locked' }
  | { status: 'expired' }
  | { status: 'rate_limited'; retryAfterSeconds: number };

/** @param input.verifiedAudited the caller records `otp.verified` itself (the hosted pages' completion does, for links too) */
export async function checkCode(deps: CodeCheckDeps, input: { tenant: CourierTenant; challenge: Challenge; typed: string; request: { ip: string; userAgent: string | null }; verifiedAudited?: boolean }): Promise<LimitedCodeCheck> {
  const { tenant, challenge, request } = input;
  const typed = input.typed.replace(/[\s-]/g, '');
  if (!/^\d{1,16}$/.test(typed)) return { status: 'wrong', attemptsLeft: null };
  const attempt = await reserveAttempt(deps.limiter, [
    { bucket: `code-verify:${tenant.id}`, subject: challenge.identifier, rule: codeVerifyLimits.identifier, onSuccess: 'reset' },
    { bucket: `code-verify-ip:${tenant.id}`, subject: request.ip, rule: codeVerifyLimits.ip, onSuccess: 'release' },
  ]);
  if (!attempt.allowed) return { status: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
  const check = await deps.challenges.verify(tenant, challenge, typed);
  if (check.status === 'ok') await attempt.succeeded();
  const subject = deps.audit.pseudonym(tenant.id, challenge.identifier);
  const auditData = { channel: challenge.channel, purpose: challenge.purpose };
  if (check.status === 'wrong') {
    await deps.audit.record({ tenantId: tenant.id, type: 'otp.failed', subject, ...request, outcome: 'failure', data: auditData });
  } else if (check.status === 'locked') {
    await deps.audit.record({ tenantId: tenant.id, type: 'otp.locked', subject, ...request, outcome: 'failure', data: auditData });
  } else if (check.status === 'ok' && !input.verifiedAudited) {
    await deps.audit.record({ tenantId: tenant.id, type: 'otp.verified', subject, ...request, data: auditData });
  }
  return check;
}
