// The OpenTelemetry side of tracing.ts, loaded only when an OTLP endpoint is configured. Nothing is registered
// globally (no global tracer provider, context manager or propagator): every server in one process — the tests run
// several — keeps its own, and the context is passed explicitly to each span.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Context as OtelContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Middleware } from 'koa';
import { routeOf } from './request-metrics.js';
import type { Tracing, TracingOptions } from './tracing-types.js';

export function createOtelTracing(options: TracingOptions): Tracing {
  const contexts = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.url }), scheduledDelayMillis: options.exportDelayMs ?? 1000 })],
  });
  const tracer = provider.getTracer('tessera');

  const failed = (span: ReturnType<typeof tracer.startSpan>, error: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    if (error instanceof Error) span.recordException({ name: error.name, message: error.message });
  };

  return {
    async span(name, attributes, work) {
      const parent = contexts.active();
      // a query outside any request (start-up, the audit writer's own timer) is not worth a trace of its own
      if (!trace.getSpan(parent)) return work();
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
      try {
        return await contexts.with(trace.setSpan(parent, span), work);
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    middleware(): Middleware {
      return async function traceRequest(ctx, next) {
        const parent: OtelContext = propagator.extract(ROOT_CONTEXT, ctx.headers, defaultTextMapGetter);
        const span = tracer.startSpan(ctx.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method } }, parent);
        // the request's log line carries the same trace id as its spans (request-log.ts)
        ctx.state.traceId = span.spanContext().traceId;
        try {
          await contexts.with(trace.setSpan(parent, span), next);
        } catch (error) {
          failed(span, error);
          throw error;
        } finally {
          // the route label, never the raw path (it can hold ids and link tokens)
          const route = routeOf(ctx);
          span.updateName(`${ctx.method} ${route}`);
          span.setAttributes({ 'http.route': route, 'http.response.status_code': ctx.status, 'tessera.tenant': ctx.state.tenant?.slug ?? '-' });
          if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      };
    },
    async shutdown() {
      await provider.shutdown();
      contexts.disable();
    },
  };
}
