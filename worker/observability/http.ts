/**
 * One middleware in front of every route: a request id (the caller's `x-request-id` if it
 * is sane, else a fresh one, echoed on the answer), a server span continuing the caller's
 * W3C `traceparent` and made active for the handler, the request counters and latency
 * histogram, and one log line per request (method, route pattern, status, duration,
 * request id - never headers, which carry tokens and signatures).
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppDeps } from '../deps'
import { ensureContextManager } from './context'
import { recordFailure, tracerFor } from './tracing'

const propagator = new W3CTraceContextPropagator()
const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

/** The caller's request id if it is a plain token, else a new UUID. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
}

/**
 * The matched route pattern (`/v1/orgs/:id/sites`), never the raw path: labels and span
 * names stay low-cardinality. After the chain ran, routeIndex points at whatever answered;
 * unmatched requests end on a middleware pattern (`*`, `/v1/*`).
 */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return routePath(c) || 'unmatched'
  } catch {
    return 'unmatched'
  }
}

export function observe(deps: AppDeps): MiddlewareHandler {
  if (deps.tracerProvider) ensureContextManager()
  const tracer = tracerFor(deps.tracerProvider)
  const recorder = deps.metrics?.recorder
  return async (c, next) => {
    const started = performance.now()
    const requestId = requestIdOf(c.req.raw.headers)
    const method = c.req.method
    const url = new URL(c.req.url)
    const parent = propagator.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter)
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: url.pathname,
          [ATTR_URL_SCHEME]: url.protocol.replace(':', ''),
          ...(c.req.header('user-agent')
            ? { [ATTR_USER_AGENT_ORIGINAL]: c.req.header('user-agent') }
            : {}),
          'http.request.id': requestId,
        },
      },
      parent,
    )
    const active = trace.setSpan(parent, span)
    await context.with(active, async () => {
      try {
        await next()
      } catch (error) {
        // onError normally answers first; this is only for errors that escape it.
        recordFailure(span, error)
        throw error
      } finally {
        const route = routeOf(c)
        const status = c.res.status
        const seconds = (performance.now() - started) / 1000
        span.updateName(`${method} ${route}`)
        span.setAttribute(ATTR_HTTP_ROUTE, route)
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        try {
          c.res.headers.set('x-request-id', requestId)
        } catch {
          // A response with immutable headers (a proxied fetch): copy it once.
          c.res = new Response(c.res.body, c.res)
          c.res.headers.set('x-request-id', requestId)
        }
        recorder?.httpRequest(method, route, status, seconds)
        deps.logger.info(
          {
            request_id: requestId,
            method,
            route,
            status,
            duration_ms: Math.round(seconds * 1e4) / 10,
          },
          'request',
        )
        span.end()
      }
    })
  }
}
