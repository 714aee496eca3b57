/** Target safety, selectors, the retry schedule, signatures and the Node transport. */
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { incidentKey } from '../../worker/services/alerts/pairing'
import { matchesSelector, parseSelector } from '../../worker/services/alerts/selector'
import { backoffMs, classify, retryAfterMs } from '../../worker/services/webhooks/backoff'
import { nodeTransport } from '../../worker/services/webhooks/node-transport'
import { newWebhookSecret, signatureHeader } from '../../worker/services/webhooks/signing'
import { isBlockedAddress, targetProblem } from '../../worker/services/webhooks/target'
import { fetchTransport, TransportError } from '../../worker/services/webhooks/transport'

describe('webhook targets', () => {
  it('refuses special-purpose IPv4 and IPv6 addresses and allows public ones', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.1.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1%eth0',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::7f00:1',
      '2002:c0a8:101::1',
      '2001:db8::1',
    ]) {
      expect(isBlockedAddress(ip), ip).toBe(true)
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111']) {
      expect(isBlockedAddress(ip), ip).toBe(false)
    }
    expect(isBlockedAddress('example.com')).toBeUndefined()
  })

  it('checks URLs (scheme, credentials, literal and obfuscated private hosts)', () => {
    expect(targetProblem('https://hooks.slack.com/services/T/B/X', false)).toBeNull()
    expect(targetProblem('http://203.0.114.1:8080/x', false)).toBeNull()
    for (const url of [
      'http://0x7f.1/',
      'http://2130706433/',
      'http://[0:0:0:0:0:ffff:127.0.0.1]/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'file:///etc/passwd',
      'gopher://x/',
      'nonsense',
    ]) {
      expect(targetProblem(url, false), url).not.toBeNull()
    }
    expect(targetProblem('http://127.0.0.1:1/x', true)).toBeNull()
    expect(targetProblem('ftp://127.0.0.1/x', true)).not.toBeNull()
  })
})

describe('label selectors', () => {
  it('parses and matches every operator; refuses bad syntax and regexes', () => {
    const terms = parseSelector('region=~eu-.*, tier!=lab, env, !legacy, owner!~bob|eve')
    expect(typeof terms).not.toBe('string')
    const ok = terms as Exclude<typeof terms, string>
    expect(matchesSelector(ok, { region: 'eu-west', env: 'prod', owner: 'ann' })).toBe(true)
    expect(matchesSelector(ok, { region: 'eu-west', env: 'prod', owner: 'bob' })).toBe(false)
    expect(matchesSelector(ok, { region: 'xeu-west', env: 'prod' })).toBe(false) // anchored
    expect(matchesSelector(ok, { region: 'eu-1', env: 'p', legacy: 'y' })).toBe(false)
    expect(matchesSelector(ok, { region: 'eu-1', env: 'p', tier: 'lab' })).toBe(false)
    expect(matchesSelector(ok, { region: 'eu-1' })).toBe(false)
    for (const bad of [
      'a=~(',
      'a=~[z-a]',
      '',
      'a=b,',
      '=b',
      '!a=b',
      'a b',
      `a=~${'x'.repeat(201)}`,
    ]) {
      expect(typeof parseSelector(bad), bad).toBe('string')
    }
  })

  it('keys incidents so that the closing event meets its opener', () => {
    const path = { path: { peerSiteId: 'p', localSlot: 1, remoteSlot: 0 } }
    expect(incidentKey('path.up', 's', path)).toBe(incidentKey('path.down', 's', path))
    expect(incidentKey('path.failback', 's', { class: 'voice' })).toBe(
      incidentKey('path.failover', 's', { class: 'voice' }),
    )
    expect(incidentKey('agent.online', 's', {})).toBe(incidentKey('agent.offline', 's', {}))
    expect(incidentKey('path.down', 's', path)).not.toBe(
      incidentKey('path.down', 's', { path: { ...path.path, localSlot: 0 } }),
    )
  })
})

describe('retry schedule', () => {
  it('doubles from 30 s with +-25 % jitter, capped at 1 h', () => {
    expect(backoffMs(1, 0.5)).toBe(30_000)
    expect(backoffMs(2, 0.5)).toBe(60_000)
    expect(backoffMs(1, 0)).toBe(22_500)
    expect(backoffMs(1, 1)).toBe(37_500)
    expect(backoffMs(20, 0.5)).toBe(3_600_000)
  })

  it('classifies answers and reads Retry-After as seconds or a date', () => {
    expect(classify(204, null).kind).toBe('success')
    for (const s of [408, 429, 500, 502, 503]) expect(classify(s, null).kind, `${s}`).toBe('retry')
    for (const s of [301, 400, 401, 404, 410, 422])
      expect(classify(s, null).kind, `${s}`).toBe('final')
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('120', now)).toBe(120_000)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })
})

describe('signatures', () => {
  it('matches the Standard Webhooks published example', () => {
    const header = signatureHeader(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    )
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('equals an independent HMAC-SHA256 and verifies with either rotated secret', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()]
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    const ts = Math.floor(Date.now() / 1000)
    const body = '{"type":"path.down"}'
    const header = signatureHeader([a, b], 'msg_1', ts, body)
    const mac = createHmac('sha256', Buffer.from(a.slice(6), 'base64'))
      .update(`msg_1.${ts}.${body}`)
      .digest('base64')
    expect(header.split(' ')[0]).toBe(`v1,${mac}`)
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': `${ts}`,
      'webhook-signature': header,
    }
    for (const secret of [a, b])
      expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'path.down' })
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow()
  })
})

describe('transports', () => {
  const request = (url: string, timeoutMs = 10_000) => ({
    url,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    timeoutMs,
    maxResponseBytes: 64 * 1024,
  })

  it('Node: refuses a hostname that resolves to loopback unless allowed', async () => {
    const server = createServer((_req, res) => res.end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      const blocked = nodeTransport(false)(request(`http://localhost:${port}/`))
      await expect(blocked).rejects.toMatchObject({ kind: 'blocked' })
      const allowed = await nodeTransport(true)(request(`http://localhost:${port}/`))
      expect(allowed.status).toBe(200)
    } finally {
      server.close()
    }
  })

  for (const [name, transport] of [
    ['node', nodeTransport(true)],
    ['fetch', fetchTransport],
  ] as const) {
    it(`${name}: reads at most 64 KiB, follows no redirect, times out`, async () => {
      const server = createServer((req, res) => {
        if (req.url === '/big') {
          res.writeHead(200)
          res.end('x'.repeat(1024 * 1024))
        } else if (req.url === '/redirect') {
          res.writeHead(302, { location: '/big' })
          res.end()
        } else {
          setTimeout(() => res.end('late'), 2000)
        }
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      try {
        const big = await transport(request(`${base}/big`))
        expect(big.status).toBe(200)
        expect(big.body.length).toBe(64 * 1024)
        const redirect = await transport(request(`${base}/redirect`))
        expect(redirect.status).toBe(302)
        const slow = transport(request(`${base}/slow`, 200))
        await expect(slow).rejects.toBeInstanceOf(TransportError)
        await expect(slow).rejects.toMatchObject({ kind: 'timeout' })
      } finally {
        server.closeAllConnections()
        server.close()
      }
    })
  }
})
