// Optional OpenTelemetry tracing (issue #15): a server span per request (the token endpoint's among them), with
// child spans for each database query and Redis command, exported over OTLP/HTTP. The OpenTelemetry packages are
// optional dependencies, imported only when an OTLP endpoint is configured: without one nothing of them is loaded
// and no middleware or wrapper is installed, so a request costs nothing more.
import type { Tracing, TracingOptions } from './tracing-types.js';

export type { SpanAttributes, Tracing, TracingOptions } from './tracing-types.js';

/**
 * Loads the OpenTelemetry SDK and starts exporting.
 * @throws when the optional @opentelemetry packages are not installed (`npm install --include=optional`)
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  let otel: typeof import('./otel-tracing.js');
  try {
    otel = await import('./otel-tracing.js');
  } catch (error) {
    throw new Error(`an OTLP endpoint is set but OpenTelemetry cannot be loaded (${(error as Error).message}): install the optional dependencies (npm install --include=optional) or unset OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
  }
  return otel.createOtelTracing(options);
}

/**
 * The same store with each method call in a span named `<system> <method>`. Keys and values are not recorded:
 * they hold identifiers and one-time secrets' hashes.
 */
export function tracedStore<T extends object>(store: T, tracing: Tracing, system: string, skip: ReadonlySet<string> = new Set()): T {
  const traced: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    traced[name] = typeof value === 'function' && !skip.has(name)
      ? (...args: unknown[]) => tracing.span(`${system} ${name}`, { 'db.system.name': system, 'db.operation.name': name }, () => (value as (...a: unknown[]) => Promise<unknown>).apply(store, args))
      : value;
  }
  return traced as T;
}
