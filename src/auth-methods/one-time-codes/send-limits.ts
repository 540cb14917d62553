// How many codes and links may be sent: per identifier (one inbox or phone is not flooded), per IP (one
// client does not spray many recipients), per tenant (a ceiling on the whole tenant), and a per-tenant
// daily cap on SMS and WhatsApp, which cost money per message and are what SMS pumping fraud farms.
//
// Every limit is read first (peek) and only counted (hit) once all of them allow the send, so a send one
// limit refuses does not eat another's allowance. Between the read and the count, concurrent sends can
// fill a bucket; the count's own result is authoritative (INCR is atomic), so such a send is refused and
// no limit is ever exceeded. The price of that race is only that the refused send has been counted in
// the other buckets: it needs concurrent sends at the very edge of a limit, and it errs on the strict side.
import type { KvStore } from '../../store/kv-store.js';
import type { RateLimiter, RateRule } from '../../store/rate-limiter.js';
import type { ChallengeChannel } from './one-time-codes.js';

export interface SendLimitSettings {
  perIdentifier: RateRule;
  perIp: RateRule;
  perTenant: RateRule;
  /** SMS + WhatsApp messages per tenant per UTC day; 0 allows none */
  smsDailyCap: number;
}

export type SendRefusalReason = 'identifier' | 'ip' | 'tenant' | 'sms_daily_cap';
export type SendDecision = { allowed: true } | { allowed: false; reason: SendRefusalReason; retryAfterSeconds: number };

export interface SendLimitInput {
  tenantId: string;
  /** normalised email or E.164 phone; the limiter stores only its SHA-256 */
  identifier: string;
  ip: string;
  channel: ChallengeChannel;
  limits: SendLimitSettings;
}

const DAY_MS = 86_400_000;
// The day counter outlives its day so a clock slightly behind another process's still finds it.
const DAY_COUNTER_TTL_SECONDS = 48 * 3600;

interface Limit {
  reason: SendRefusalReason;
  /** whether one more send would be allowed, without counting it */
  peek(): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  hit(): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

export function createSendLimits(deps: { limiter: RateLimiter; store: KvStore; now?: () => number }) {
  const { limiter, store } = deps;
  const now = deps.now ?? Date.now;

  function rateLimit(reason: SendRefusalReason, bucket: string, subject: string, rule: RateRule): Limit {
    return { reason, peek: () => limiter.peek(bucket, subject, rule), hit: () => limiter.hit(bucket, subject, rule) };
  }

  function dailySmsCap(tenantId: string, cap: number): Limit {
    if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError(`smsDailyCap must be a non-negative integer, got ${cap}`);
    const at = now();
    const day = new Date(at).toISOString().slice(0, 10);
    const counter = `otc-sms-day:${tenantId}:${day}`;
    // The cap resets at the next UTC midnight.
    const untilTomorrow = Math.max(1, Math.ceil((DAY_MS - (at % DAY_MS)) / 1000));
    const verdict = (count: number, counted: boolean) => {
      const allowed = counted ? count <= cap : count < cap;
      return { allowed, retryAfterSeconds: allowed ? 0 : untilTomorrow };
    };
    return {
      reason: 'sms_daily_cap',
      peek: async () => verdict(Number((await store.get(counter)) ?? 0), false),
      hit: async () => verdict(await store.incr(counter, DAY_COUNTER_TTL_SECONDS), true),
    };
  }

  return {
    /** counts one send if allowed; a refusal counts nothing (see the race note above) */
    async take(input: SendLimitInput): Promise<SendDecision> {
      const { tenantId, identifier, ip, channel, limits } = input;
      // Buckets are per tenant: limits are tenant settings, and one tenant's traffic must not throttle another's.
      const checks: Limit[] = [
        rateLimit('identifier', `otc-send-identifier:${tenantId}`, identifier, limits.perIdentifier),
        rateLimit('ip', `otc-send-ip:${tenantId}`, ip, limits.perIp),
        rateLimit('tenant', 'otc-send-tenant', tenantId, limits.perTenant),
      ];
      if (channel === 'sms' || channel === 'whatsapp') checks.push(dailySmsCap(tenantId, limits.smsDailyCap));

      const refusal = firstRefusal(checks, await Promise.all(checks.map((c) => c.peek())));
      if (refusal) return refusal;
      return firstRefusal(checks, await Promise.all(checks.map((c) => c.hit()))) ?? { allowed: true };
    },
  };
}

function firstRefusal(checks: Limit[], results: { allowed: boolean; retryAfterSeconds: number }[]): SendDecision | null {
  const i = results.findIndex((r) => !r.allowed);
  if (i < 0) return null;
  return { allowed: false, reason: checks[i]!.reason, retryAfterSeconds: Math.max(1, results[i]!.retryAfterSeconds) };
}

export type SendLimits = ReturnType<typeof createSendLimits>;
