// What tracing.ts offers (implemented by otel-tracing.ts when an OTLP endpoint is configured), apart so that the
// implementation, loaded on demand, imports only these types and never the module that loads it.
import type { Middleware } from 'koa';

export type SpanAttributes = Record<string, string | number | boolean>;

export interface Tracing {
  /** runs `work` in a client span, a child of the request's span (none outside a request) */
  span<T>(name: string, attributes: SpanAttributes, work: () => Promise<T>): Promise<T>;
  /** a server span per request, the child of an incoming W3C `traceparent` when there is one */
  middleware(): Middleware;
  /** exports the spans still buffered, then stops */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** the OTLP/HTTP traces endpoint (config.otlpTracesUrl) */
  url: string;
  serviceName: string;
  /** how long finished spans wait to be sent in a batch; default 1 s */
  exportDelayMs?: number;
}
