/**
 * `Retry-After` (RFC 9110 sec. 10.2.3) on the control plane's 429 and 503 answers: the
 * rate limits and the events-per-minute quota say when a retry can succeed, and retrying
 * sooner only spends the agent's budget again. Both forms are read: delay-seconds and an
 * HTTP-date, the latter measured against the answer's own `Date` header (the server's
 * clock, so a skewed site clock does not matter; without `Date` it is ignored). The wait
 * is bounded, so a hostile or broken answer cannot park the agent for
 * days: past MAX_RETRY_AFTER_MS the agent's own backoff takes over again.
 */

/** The control plane's limits use windows of a minute; 15 minutes is far above any of them. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000

/** Up to 10 digits: longer is nonsense and must not turn into a huge number. */
const DELAY_SECONDS = /^\d{1,10}$/

/** Milliseconds to wait, or undefined when the header is absent or unreadable. */
export function retryAfterMs(headers: Headers): number | undefined {
  const header = headers.get('retry-after')
  if (header === null) return undefined
  const value = header.trim()
  if (value.length === 0 || value.length > 64) return undefined
  let ms: number
  if (DELAY_SECONDS.test(value)) {
    ms = Number(value) * 1000
  } else {
    const at = Date.parse(value)
    const serverNow = Date.parse(headers.get('date') ?? '')
    if (Number.isNaN(at) || Number.isNaN(serverNow)) return undefined
    ms = at - serverNow
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms))
}
