/**
 * `GET /metrics`: the Prometheus exposition, for loopback callers (a Prometheus or agent
 * on the same host) or callers with `Authorization: Bearer <PATRONUS_METRICS_TOKEN>`.
 * A request relayed by a reverse proxy on the same host arrives from loopback too, so any
 * forwarding header makes it count as remote. Where there is no registry (Workers:
 * prom-client needs Node APIs) the answer is a 501 problem saying what to use instead.
 */
import type { Context } from 'hono'
import type { AppDeps } from '../deps'
import { PROBLEM_BASE } from '../errors'
import { problemResponse } from '../http/problem'

const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip']

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address)
}

/** Compares in time independent of where the strings differ. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given)
  const b = new TextEncoder().encode(expected)
  let diff = a.length ^ b.length
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

export function metricsHandler(deps: AppDeps) {
  return async (c: Context) => {
    const metrics = deps.metrics
    if (!metrics) {
      return new Response(
        JSON.stringify({
          type: `${PROBLEM_BASE}not-implemented`,
          title: 'No Prometheus endpoint on this runtime',
          status: 501,
          detail:
            'This control plane runs on Cloudflare Workers, where the Prometheus registry is not available: export traces with OTLP (OTEL_* variables) to Grafana, or scrape a Node instance. See docs/observability.md.',
          instance: '/metrics',
        }),
        { status: 501, headers: { 'content-type': 'application/problem+json' } },
      )
    }
    const auth = c.req.header('authorization')
    const bearer = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined
    const tokenOk = Boolean(metrics.token && bearer && sameSecret(bearer, metrics.token))
    const local =
      isLoopback(metrics.remoteAddress?.(c.env)) &&
      !FORWARDED.some((h) => c.req.header(h) !== undefined)
    if (!tokenOk && !local) {
      return problemResponse(
        c,
        'unauthenticated',
        metrics.token
          ? '/metrics needs `Authorization: Bearer <PATRONUS_METRICS_TOKEN>` or a loopback caller'
          : '/metrics answers loopback callers only (set PATRONUS_METRICS_TOKEN to allow others)',
      )
    }
    const { contentType, body } = await metrics.recorder.render()
    return new Response(body, {
      status: 200,
      headers: { 'content-type': contentType, 'cache-control': 'no-store' },
    })
  }
}
