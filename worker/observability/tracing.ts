/**
 * Spans for the control plane's own work. With no tracer provider configured every helper
 * runs on the API's no-op tracer (no allocation beyond a shared non-recording span), so
 * tracing off costs nothing measurable.
 */
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { APP_VERSION } from '../version'

export const TRACER_NAME = 'patronus-control'

const tracers = new WeakMap<TracerProvider, Tracer>()

/** The app's tracer: the injected provider's, else the global one (no-op unless set). */
export function tracerFor(provider: TracerProvider | undefined): Tracer {
  if (!provider) return trace.getTracer(TRACER_NAME, APP_VERSION)
  let tracer = tracers.get(provider)
  if (!tracer) {
    tracer = provider.getTracer(TRACER_NAME, APP_VERSION)
    tracers.set(provider, tracer)
  }
  return tracer
}

/** Marks the span failed with the error (message only: errors may quote a request). */
export function recordFailure(span: Span, error: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message.split('\n')[0] : String(error),
  })
  if (error instanceof Error) span.setAttribute('error.type', error.name)
}

/** Runs `fn` inside a child span of the active one; the span ends when `fn` settles. */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  fn: (span: Span) => Promise<T>,
  attributes: Attributes = {},
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span)
    } catch (error) {
      recordFailure(span, error)
      throw error
    } finally {
      span.end()
    }
  })
}

/** A span that is a child of the active one but not made active (short leaf work). */
export function startChild(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  kind = SpanKind.CLIENT,
) {
  return tracer.startSpan(name, { kind, attributes }, context.active())
}
