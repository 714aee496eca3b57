/**
 * Agent tracing: `tracedFetch` wraps the control client's injected fetch so that every
 * request (config sync, heartbeat, telemetry, events, enrollment) is a client span whose
 * W3C `traceparent` goes to the control plane, which continues the same trace; `withSpan`
 * opens the agent's own spans (a sync, a reconfig) around which those requests nest.
 * Without a provider (startAgentTracing with no OTEL_* set) both run on the API's no-op
 * tracer and no header is added.
 */
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions'
import type { FetchLike } from '../control/transport'
import { AGENT_VERSION } from '../version'

export const AGENT_TRACER_NAME = 'patronus-agent'

const propagator = new W3CTraceContextPropagator()
const headerSetter = {
  set: (carrier: Headers, key: string, value: string) => carrier.set(key, value),
}

export interface TracingOptions {
  /** Default: the global tracer provider's (set by startAgentTracing; else a no-op). */
  tracer?: Tracer
}

const tracerOf = (options: TracingOptions) =>
  options.tracer ?? trace.getTracer(AGENT_TRACER_NAME, AGENT_VERSION)

function fail(span: Span, error: unknown) {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message.split('\n')[0] : String(error),
  })
  if (error instanceof Error) span.setAttribute('error.type', error.name)
}

/**
 * A fetch that opens a client span per request and sends its context as `traceparent`.
 * The header is outside the request signature (protocol/signing.ts covers method, path,
 * query and content digest), so adding it after signing is safe.
 */
export function tracedFetch(fetchFn: FetchLike, options: TracingOptions = {}): FetchLike {
  return async (input, init) => {
    const tracer = tracerOf(options)
    const url = new URL(input)
    const method = (init.method ?? 'GET').toUpperCase()
    const span = tracer.startSpan(
      `${method} ${url.pathname}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_FULL]: `${url.origin}${url.pathname}${url.search}`,
          [ATTR_SERVER_ADDRESS]: url.hostname,
          ...(url.port ? { [ATTR_SERVER_PORT]: Number(url.port) } : {}),
        },
      },
      context.active(),
    )
    const headers = new Headers(init.headers)
    // The propagator writes nothing for the no-op tracer's invalid span context.
    propagator.inject(trace.setSpan(context.active(), span), headers, headerSetter)
    try {
      const response = await fetchFn(input, { ...init, headers })
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      return response
    } catch (error) {
      fail(span, error)
      throw error
    } finally {
      span.end()
    }
  }
}

/** Runs `fn` in a new span (child of the active one) made active for everything it awaits. */
export function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T>,
  options: TracingOptions & { attributes?: Attributes } = {},
): Promise<T> {
  return tracerOf(options).startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes: options.attributes ?? {} },
    async (span) => {
      try {
        return await fn(span)
      } catch (error) {
        fail(span, error)
        throw error
      } finally {
        span.end()
      }
    },
  )
}
