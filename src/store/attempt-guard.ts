// Attempts at a secret (a password, a second-factor code, a passkey) under one or more limits (per account, per
// IP). Each attempt is reserved on every limit before the secret is checked (RateLimiter.reserve), so concurrent
// guesses cannot all pass a check made before any of them was counted: at most `limit` are ever judged per window.
import type { RateLimiter, RateRule, Reservation } from './rate-limiter.js';

export interface AttemptLimit {
  bucket: string;
  subject: string;
  rule: RateRule;
  /**
   * what a successful attempt does to this counter: `reset` clears the failures before it (an account: the owner
   * got in), `release` only un-counts the attempt itself (an IP: only failures count against it)
   */
  onSuccess: 'reset' | 'release';
}

export type Attempt =
  | { allowed: false; retryAfterSeconds: number }
  /** the secret may be checked; a wrong one needs nothing more (it stays counted), a right one calls `succeeded` */
  | { allowed: true; succeeded(): Promise<void> };

/**
 * Reserves one attempt on each limit in turn; refused at the first one past its limit, and then nothing stays
 * reserved on the limits it passed (the attempt was not judged, so it is no failure). The refused reservation itself
 * is kept: only a reservation that was allowed is ever released, so a release that lands in a later window (or after
 * a reset) can give back at most the attempts that window allowed, never the flood that was refused.
 */
export async function reserveAttempt(limiter: RateLimiter, limits: readonly AttemptLimit[]): Promise<Attempt> {
  const reservations: Reservation[] = [];
  for (const l of limits) {
    const reservation = await limiter.reserve(l.bucket, l.subject, l.rule);
    if (!reservation.allowed) {
      await Promise.all(reservations.map((r) => r.release()));
      return { allowed: false, retryAfterSeconds: Math.max(1, reservation.retryAfterSeconds) };
    }
    reservations.push(reservation);
  }
  return {
    allowed: true,
    async succeeded() {
      await Promise.all(limits.map((l, i) => (l.onSuccess === 'reset' ? limiter.reset(l.bucket, l.subject) : reservations[i]!.release())));
    },
  };
}
