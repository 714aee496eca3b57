/**
 * Actor: anyone who can reach the control plane, without a credential (docs/security.md, finding
 * 5): wrong tokens, bad agent signatures and enrollment attempts count per source address,
 * and past the limit the address gets 429 problems with Retry-After, while other
 * addresses are not affected. Node checks: the limiter's clock is injected, the address
 * comes from the socket (and a real socket in the last test).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../../worker/config'
import { silentLogger } from '../../worker/logger'
import { startNodeServer } from '../../worker/server'
import { Client, expectProblem } from '../api/harness'
import { NODE_ADMIN_TOKEN } from '../api/node-target'
import { type LimitedTarget, startLimitedTarget } from './limited-target'

const LIMIT = 5
const WRONG = 'pat_wrong-token-0123456789abcdef'

function expectRateLimited(res: { status: number; headers: Headers; body: any }) {
  expectProblem(res, 429, 'rate-limited')
  const retryAfter = res.headers.get('retry-after')
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/)
  expect(res.body.retryAfterSeconds).toBe(Number(retryAfter))
  return Number(retryAfter)
}

describe('security: anonymous (rate limits)', () => {
  let t: LimitedTarget
  beforeAll(async () => {
    t = await startLimitedTarget({ limits: { address: LIMIT } })
  })
  afterAll(() => t.node.close())

  it('finding 5: wrong tokens from one address get 429 with Retry-After past the limit; another address does not', async () => {
    const attacker = new Client(t.from('198.51.100.7'), WRONG)
    for (let i = 0; i < LIMIT; i++)
      expectProblem(await attacker.get('/v1/sites'), 401, 'unauthenticated')
    const refused = await attacker.get('/v1/sites')
    const retryAfter = expectRateLimited(refused)
    // 5 per minute: one request earns back in 12 s.
    expect(retryAfter).toBe(60 / LIMIT)
    // The address is refused before its credential is looked at: even a valid token.
    expectRateLimited(await new Client(t.from('198.51.100.7'), NODE_ADMIN_TOKEN).get('/v1/sites'))
    // Missing headers count as failures from the address too.
    expectRateLimited(await new Client(t.from('198.51.100.7'), undefined).get('/v1/sites'))

    // Another address: its own budget, and a valid token works.
    const other = new Client(t.from('198.51.100.8'), WRONG)
    expectProblem(await other.get('/v1/sites'), 401, 'unauthenticated')
    expect(
      (await new Client(t.from('198.51.100.8'), NODE_ADMIN_TOKEN).get('/v1/orgs')).status,
    ).toBe(200)

    // The Retry-After is honest: after it, one more attempt is allowed.
    t.limiterClock.advance(retryAfter * 1000)
    expectProblem(await attacker.get('/v1/sites'), 401, 'unauthenticated')
    expectRateLimited(await attacker.get('/v1/sites'))
  })

  it('finding 5: enrollment attempts count per address; an IPv6 host counts as its /64', async () => {
    const enroll = (address: string) =>
      new Client(t.from(address), undefined).post('/v1/enroll', {
        token: `pet_${'A'.repeat(43)}`,
        hostname: 'edge',
        agentVersion: '0.1.0',
        identityPublicKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        wireguardPublicKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        uplinks: [],
      })
    for (let i = 0; i < LIMIT; i++) {
      // Cycling addresses inside one /64 does not buy more attempts.
      expectProblem(await enroll(`2001:db8:7:1::${i + 1}`), 401, 'enrollment-token-invalid')
    }
    expectRateLimited(await enroll('2001:db8:7:1:ffff::9'))
    expectProblem(await enroll('2001:db8:7:2::1'), 401, 'enrollment-token-invalid')
  })

  it('finding 5: X-Forwarded-For is ignored unless PATRONUS_CLIENT_ADDRESS_HEADER names it', async () => {
    const spoofing = (n: number) =>
      new Client(t.from('198.51.100.20', { 'x-forwarded-for': `203.0.113.${n}` }), WRONG)
    for (let i = 0; i < LIMIT; i++)
      expectProblem(await spoofing(i).get('/v1/sites'), 401, 'unauthenticated')
    expectRateLimited(await spoofing(99).get('/v1/sites'))

    const proxied = await startLimitedTarget({
      limits: { address: LIMIT },
      addressHeader: 'x-forwarded-for',
    })
    try {
      // Behind a proxy (all from 127.0.0.1), the proxy's last entry is the client.
      const via = (client: string) =>
        new Client(proxied.from('127.0.0.1', { 'x-forwarded-for': `10.9.9.9, ${client}` }), WRONG)
      for (let i = 0; i < LIMIT; i++)
        expectProblem(await via('203.0.113.1').get('/v1/sites'), 401, 'unauthenticated')
      expectRateLimited(await via('203.0.113.1').get('/v1/sites'))
      expectProblem(await via('203.0.113.2').get('/v1/sites'), 401, 'unauthenticated')
    } finally {
      proxied.node.close()
    }
  })

  it('finding 5: the Node server reads the limit from PATRONUS_RATE_LIMIT_ADDRESS and the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patronus-rl-'))
    const server = await startNodeServer(
      loadNodeConfig({
        PORT: '0',
        DATABASE_URL: `file:${join(dir, 'db')}`,
        PATRONUS_BOOTSTRAP_TOKEN: NODE_ADMIN_TOKEN,
        PATRONUS_RATE_LIMIT_ADDRESS: '3',
      }),
      silentLogger,
    )
    try {
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${server.url}/v1/sites`, {
          headers: { authorization: `Bearer ${WRONG}` },
        })
        statuses.push(res.status)
        if (res.status === 429) expect(res.headers.get('retry-after')).toBe('20')
        await res.arrayBuffer()
      }
      expect(statuses).toEqual([401, 401, 401, 429])
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
