/**
 * docs/security.md, finding 5 inside workerd: the Worker counts failed authentications per client
 * address (CF-Connecting-IP) in the Workers Rate Limiting binding that wrangler.toml
 * declares (`[[ratelimits]]` RATE_LIMIT_ADDRESS, 300 per 60 s window), and answers 429
 * problems with Retry-After past it; another address is not affected.
 */
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

const bindings = env as unknown as Record<string, unknown>
/** wrangler.toml: RATE_LIMIT_ADDRESS simple = { limit = 300, period = 60 } */
const LIMIT = 300
const PERIOD_S = 60

const wrongToken = (address: string) =>
  SELF.fetch('http://patronus.test/v1/sites', {
    headers: { authorization: 'Bearer pat_wrong-token-0123456789', 'cf-connecting-ip': address },
  })

describe('finding 5 (workerd): the Rate Limiting binding', () => {
  it('finding 5: wrong tokens from one address get 429 with Retry-After; another address does not', async () => {
    expect(typeof (bindings.RATE_LIMIT_ADDRESS as { limit?: unknown })?.limit).toBe('function')
    // The binding counts in fixed windows: a window boundary inside the loop restarts the
    // count once, so 2 * LIMIT + 1 attempts always cross the limit.
    let refused: { headers: Headers; body: { type: string } } | undefined
    for (let i = 0; i < 2 * LIMIT + 1 && !refused; i++) {
      const res = await wrongToken('203.0.113.77')
      const body = (await res.json()) as { type: string }
      if (res.status === 429) refused = { headers: res.headers, body }
      else expect(res.status).toBe(401)
    }
    expect(refused, 'no 429 within 2 * limit + 1 attempts').toBeDefined()
    expect(refused!.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    // The binding says only yes or no: the window's length is the honest Retry-After.
    expect(refused!.headers.get('retry-after')).toBe(String(PERIOD_S))
    expect(refused!.body.type).toBe('https://patronus.dev/problems/rate-limited')
    // Refused before the lookup from now on, this isolate remembers the refusal.
    const again = await wrongToken('203.0.113.77')
    expect(again.status).toBe(429)
    await again.arrayBuffer()

    const other = await wrongToken('203.0.113.78')
    expect(other.status).toBe(401)
    await other.arrayBuffer()
  })
})
