import { describe, expect, it } from 'vitest'
import { systemClock } from '../../clock'
import { timersFromClock } from './clock'
import { State } from './constants'
import { totalDropped } from './counters'
import { BfdEndpoint, type BfdTransport, type Remote } from './endpoint'
import { encodeControlPacket } from './packet'
import { basePacket, ManualTimers } from './testing'
import { openUdpTransport } from './transport'

/** An in-memory network: address -> endpoint handler, with 1 ms of delay. */
function fakeNet(clock: ManualTimers) {
  const handlers = new Map<string, (p: Buffer, from: Remote) => void>()
  const transport = (address: string): BfdTransport => ({
    send(packet, to) {
      clock.setTimer(1, () => handlers.get(to.address)?.(packet, { address, port: 50000 }))
    },
    onPacket(h) {
      handlers.set(address, h)
    },
    close: async () => {
      handlers.delete(address)
    },
  })
  return { transport }
}

describe('BfdEndpoint demultiplexing (sec. 6.8.6)', () => {
  it('brings up sessions to two peers over one local address', async () => {
    const clock = new ManualTimers()
    const net = fakeNet(clock)
    const hub = new BfdEndpoint({ transport: net.transport('10.0.0.1'), clock })
    const p1 = new BfdEndpoint({ transport: net.transport('10.0.0.2'), clock })
    const p2 = new BfdEndpoint({ transport: net.transport('10.0.0.3'), clock })
    const s1 = hub.addSession({ peerAddress: '10.0.0.2' })
    const s2 = hub.addSession({ peerAddress: '10.0.0.3' })
    const r1 = p1.addSession({ peerAddress: '10.0.0.1' })
    const r2 = p2.addSession({ peerAddress: '10.0.0.1' })
    clock.advance(3_000)
    for (const s of [s1, s2, r1, r2]) expect(s.state).toBe('Up')
    expect(s1.snapshot().remoteDiscriminator).toBe(r1.localDiscriminator)
    expect(s2.snapshot().remoteDiscriminator).toBe(r2.localDiscriminator)
    expect(totalDropped(hub.counters)).toBe(0)
    expect(
      hub
        .snapshot()
        .sessions.map((s) => s.peerAddress)
        .sort(),
    ).toEqual(['10.0.0.2', '10.0.0.3'])
    await Promise.all([hub.close(), p1.close(), p2.close(), hub.close()])
  })

  it('drops and counts what matches no session, and malformed bytes', () => {
    const clock = new ManualTimers()
    const net = fakeNet(clock)
    const ep = new BfdEndpoint({ transport: net.transport('10.0.0.1'), clock })
    const s = ep.addSession({ peerAddress: '10.0.0.2' })
    const from = { address: '10.0.0.2', port: 49200 }
    ep.handle(encodeControlPacket(basePacket({ yourDiscriminator: 12345, state: State.Up })), from)
    expect(ep.counters.dropped.noSession).toBe(1)
    ep.handle(encodeControlPacket(basePacket()), { address: '10.0.0.9', port: 49200 })
    expect(ep.counters.dropped.unknownPeer).toBe(1)
    ep.handle(encodeControlPacket(basePacket({ yourDiscriminator: s.localDiscriminator })), {
      address: '10.0.0.9',
      port: 49200,
    })
    expect(ep.counters.dropped.addressMismatch).toBe(1)
    ep.handle(Buffer.from([1, 2, 3]), from)
    ep.handle(Buffer.alloc(24), from)
    expect(ep.counters.dropped).toMatchObject({ truncated: 1, badVersion: 1 })
    ep.handle(encodeControlPacket(basePacket({ yourDiscriminator: s.localDiscriminator })), from)
    expect(ep.counters.accepted).toBe(1)
    expect(ep.counters.received).toBe(6)
    expect(s.state).toBe('Init')
  })

  it('survives a throwing state listener', () => {
    const clock = new ManualTimers()
    const ep = new BfdEndpoint({ transport: fakeNet(clock).transport('10.0.0.1'), clock })
    const s = ep.addSession({ peerAddress: '10.0.0.2' })
    s.on('state', () => {
      throw new Error('listener bug')
    })
    expect(() =>
      ep.handle(encodeControlPacket(basePacket()), { address: '10.0.0.2', port: 49200 }),
    ).not.toThrow()
    expect(ep.counters.receiveErrors).toBe(1)
  })
})

describe('UDP transport (node:dgram, loopback)', () => {
  it('comes up between two loopback addresses, from a source port in 49152-65535', async () => {
    const clock = timersFromClock(systemClock)
    // High test ports instead of 3784: the host's own BFD port is not ours to take.
    const portA = 20000 + Math.floor(Math.random() * 20000)
    const portB = portA + 1
    const ta = await openUdpTransport({ localAddress: '127.0.0.1', listenPort: portA })
    const tb = await openUdpTransport({ localAddress: '127.0.0.2', listenPort: portB })
    expect(ta.sourcePort).toBeGreaterThanOrEqual(49152)
    expect(ta.sourcePort).toBeLessThanOrEqual(65535)
    const a = new BfdEndpoint({ transport: ta, clock, peerPort: portB })
    const b = new BfdEndpoint({ transport: tb, clock, peerPort: portA })
    try {
      const auth = { mode: 'meticulous-keyed-sha1' as const, keyId: 1, key: 'loopback-key' }
      const sa = a.addSession({
        peerAddress: '127.0.0.2',
        desiredMinTxMs: 20,
        requiredMinRxMs: 20,
        auth,
      })
      const sb = b.addSession({
        peerAddress: '127.0.0.1',
        desiredMinTxMs: 20,
        requiredMinRxMs: 20,
        auth,
      })
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (sa.state !== 'Up' || sb.state !== 'Up')) {
        await new Promise((r) => setTimeout(r, 20))
      }
      expect(sa.state).toBe('Up')
      expect(sb.state).toBe('Up')
      await new Promise((r) => setTimeout(r, 300))
      expect(sa.snapshot().txIntervalMs).toBe(20)
      expect(totalDropped(a.counters)).toBe(0)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('fails clearly when the port is taken', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const t = await openUdpTransport({ localAddress: '127.0.0.1', listenPort: port })
    try {
      await expect(
        openUdpTransport({ localAddress: '127.0.0.1', listenPort: port }),
      ).rejects.toThrow(/127\.0\.0\.1/)
    } finally {
      await t.close()
    }
  })
})

describe('receive path fuzz', () => {
  it('never throws, and every received packet is accepted or counted as dropped', async () => {
    const fc = (await import('fast-check')).default
    const clock = new ManualTimers()
    const ep = new BfdEndpoint({ transport: fakeNet(clock).transport('10.0.0.1'), clock })
    const s = ep.addSession({
      peerAddress: '10.0.0.2',
      auth: { mode: 'meticulous-keyed-sha1', keyId: 1, key: 'k' },
    })
    const from = { address: '10.0.0.2', port: 49200 }
    const valid = encodeControlPacket(basePacket({ yourDiscriminator: s.localDiscriminator }))
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
              maxLength: 8,
            })
            .map((edits) => {
              const b = Buffer.from(valid)
              for (const e of edits) b[e.at % b.length] = e.value
              return b
            }),
        ),
        (bytes) => {
          const started = performance.now()
          ep.handle(Buffer.from(bytes), from)
          clock.advance(10)
          expect(performance.now() - started).toBeLessThan(100)
        },
      ),
      { numRuns: 2000 },
    )
    const c = ep.counters
    expect(c.receiveErrors).toBe(0)
    expect(c.accepted + totalDropped(c)).toBe(c.received)
  })
})
