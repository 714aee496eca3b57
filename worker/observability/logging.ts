/**
 * Log correlation: a pino `mixin` that adds the active span's `trace_id` and `span_id` to
 * every line written inside a span, so a log search and a trace lead to each other.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api'

export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const ctx = span.spanContext()
  if (!isSpanContextValid(ctx)) return {}
  return { trace_id: ctx.traceId, span_id: ctx.spanId }
}
