// What the services report metrics through, and the no-op for processes nobody scrapes (CLI runs, a server without
// METRICS_PORT): a module of its own, so that they do not load prom-client (metrics.ts) to report nothing.
import type { AuditEvent } from '../audit/audit-log.js';

export interface Metrics {
  /** what the metrics listener serves (metrics-server.ts): prom-client's Registry in createMetrics */
  readonly registry: { metrics(): Promise<string>; readonly contentType: string };
  /** one HTTP request served: route pattern (or `unmatched`), tenant slug (or `-`), status */
  request(labels: { route: string; tenant: string; method: string; status: number }, seconds: number): void;
  /** a token endpoint success, by grant type */
  tokenIssued(grantType: string): void;
  /** a request refused by a rate limit; `bucket` is the limit's name */
  rateLimited(bucket: string): void;
  /** a request that failed because a store could not be reached */
  storeError(store: string): void;
  /** every audit event passes here: logins, one-time-code sends and failovers are counted from them */
  auditEvent(event: AuditEvent): void;
}

/** metrics nobody reads (CLI runs): every call is a no-op */
export const noMetrics: Metrics = {
  registry: { metrics: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
  request() {},
  tokenIssued() {},
  rateLimited() {},
  storeError() {},
  auditEvent() {},
};
