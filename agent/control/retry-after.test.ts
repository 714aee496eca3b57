import { describe, expect, it } from 'vitest'
import { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after'

const headers = (init: Record<string, string>) => new Headers(init)

describe('Retry-After', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterMs(headers({ 'retry-after': '60' }))).toBe(60_000)
    expect(retryAfterMs(headers({ 'retry-after': ' 0 ' }))).toBe(0)
  })

  it('reads an HTTP-date against the answer’s own Date header', () => {
    const h = headers({
      date: 'Sat, 05 Dec 2026 10:00:00 GMT',
      'retry-after': 'Sat, 05 Dec 2026 10:00:30 GMT',
    })
    expect(retryAfterMs(h)).toBe(30_000)
    // A date in the past means "now"; without Date the server's clock is unknown.
    h.set('retry-after', 'Sat, 05 Dec 2026 09:00:00 GMT')
    expect(retryAfterMs(h)).toBe(0)
    expect(retryAfterMs(headers({ 'retry-after': 'Sat, 05 Dec 2026 10:00:30 GMT' }))).toBe(
      undefined,
    )
  })

  it('bounds what a hostile answer can ask and ignores what it cannot read', () => {
    expect(retryAfterMs(headers({ 'retry-after': '9999999999' }))).toBe(MAX_RETRY_AFTER_MS)
    for (const bad of ['-5', '1.5', 'soon', '12345678901', 'x'.repeat(100), '']) {
      expect(retryAfterMs(headers({ 'retry-after': bad })), bad).toBeUndefined()
    }
    expect(retryAfterMs(headers({}))).toBeUndefined()
  })
})
