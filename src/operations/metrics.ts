// Prometheus metrics (prom-client) for one process, in a registry of its own (not prom-client's global one), so
// several apps in one process — tests, embedding — never share or double-register series. Labels are bounded:
// route patterns and route names, never raw paths (ids, tokens, codes); tenant slugs; fixed method and outcome
// names. Served by metrics-server.ts on a listener of its own.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../audit/audit-log.js';
import type { Metrics } from './metrics-hooks.js';

export type { Metrics };
export { noMetrics } from './metrics-hooks.js';

// a request below 5 ms is a cache hit, one above 2.5 s a hashing queue or a slow store
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  // process CPU, memory, GC, handles, and nodejs_eventloop_lag_seconds (+ percentiles)
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({ name: 'tessera_http_requests_total', help: 'HTTP requests answered, by route pattern, tenant, method and status', labelNames: ['route', 'tenant', 'method', 'status'], registers: [registry] });
  const latency = new Histogram({ name: 'tessera_http_request_duration_seconds', help: 'HTTP request latency, by route pattern, tenant and method', labelNames: ['route', 'tenant', 'method'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const tokens = new Counter({ name: 'tessera_tokens_issued_total', help: 'Successful token endpoint requests, by grant type', labelNames: ['grant_type'], registers: [registry] });
  const logins = new Counter({ name: 'tessera_logins_total', help: 'Sign-in attempts, by method and outcome', labelNames: ['method', 'outcome'], registers: [registry] });
  const otpSends = new Counter({ name: 'tessera_otp_sends_total', help: 'One-time code deliveries, by channel, provider and outcome', labelNames: ['channel', 'provider', 'outcome'], registers: [registry] });
  const failovers = new Counter({ name: 'tessera_otp_failovers_total', help: 'One-time code deliveries that moved on from a failing provider, by the provider that failed', labelNames: ['channel', 'from_provider'], registers: [registry] });
  const limited = new Counter({ name: 'tessera_rate_limited_total', help: 'Requests refused by a rate limit or lockout, by limit', labelNames: ['limit'], registers: [registry] });
  const storeErrors = new Counter({ name: 'tessera_store_errors_total', help: 'Requests that failed because a store could not be reached (answered 503)', labelNames: ['store'], registers: [registry] });

  return {
    registry,
    request(labels, seconds) {
      requests.inc({ route: labels.route, tenant: labels.tenant, method: labels.method, status: String(labels.status) });
      latency.observe({ route: labels.route, tenant: labels.tenant, method: labels.method }, seconds);
    },
    tokenIssued(grantType) {
      tokens.inc({ grant_type: grantType });
    },
    rateLimited(bucket) {
      limited.inc({ limit: bucket.split(':')[0] ?? bucket });
    },
    storeError(store) {
      storeErrors.inc({ store });
    },
    auditEvent(event) {
      const data = event.data ?? {};
      switch (event.type) {
        case 'login.succeeded':
          logins.inc({ method: text(data.method), outcome: 'success' });
          break;
        case 'login.failed':
          logins.inc({ method: text(data.method), outcome: 'failure' });
          break;
        case 'login.locked':
          logins.inc({ method: text(data.method), outcome: 'locked' });
          limited.inc({ limit: 'login' });
          break;
        case 'otp.sent':
        case 'otp.delivery_failed': {
          const attempts = Array.isArray(data.attempts) ? (data.attempts as Array<{ provider?: unknown; ok?: unknown }>) : [];
          const channel = text(data.channel ?? data.requested);
          for (const attempt of attempts) {
            otpSends.inc({ channel, provider: text(attempt.provider), outcome: attempt.ok ? 'success' : 'failure' });
          }
          if (!attempts.length) otpSends.inc({ channel, provider: text(data.provider), outcome: event.type === 'otp.sent' ? 'success' : 'failure' });
          // every failed attempt followed by another one is a failover away from that provider
          attempts.slice(0, -1).filter((a) => !a.ok).forEach((a) => failovers.inc({ channel, from_provider: text(a.provider) }));
          break;
        }
        case 'otp.rate_limited':
          limited.inc({ limit: 'otp' });
          break;
      }
    },
  };
}

/** a label value from event data: a short known word, else `unknown` (never free text) */
function text(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9_.-]{1,40}$/i.test(value) ? value : 'unknown';
}
