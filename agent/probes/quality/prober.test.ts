import { describe, expect, it } from 'vitest'
import { FakeClock, settle } from '../../clock/fake'
import { type Datagram, MemoryNetwork } from './memory-socket'
import { type QualityPath, QualityProber } from './prober'
import { QualityResponder } from './responder'
import { encodeProbe } from './wire'

const KEY = new Uint8Array(32).fill(1)
const A0 = '10.0.0.1'
const A1 = '10.0.1.1'
const B0 = '10.1.0.1'
const PORT = 4799

function setup(options: { delayMs?: (d: Datagram) => number } = {}) {
  const clock = new FakeClock()
  let blackhole = false
  const net = new MemoryNetwork({
    clock,
    delayMs: options.delayMs ?? (() => 20),
    drop: () => blackhole,
  })
  let session = 1000
  const rtts: number[] = []
  const prober = new QualityProber({
    clock,
    sockets: net,
    intervalMs: 50,
    randomU32: () => session++,
    onRtt: (_p, ms) => rtts.push(ms),
  })
  const responder = new QualityResponder({
    clock,
    sockets: net,
    keyFor: (from) => (from.address.startsWith('10.0.') ? KEY : undefined),
  })
  const paths: QualityPath[] = [
    {
      peerSiteId: 'b',
      localSlot: 0,
      remoteSlot: 0,
      localAddress: A0,
      remoteAddress: B0,
      remotePort: PORT,
      key: KEY,
    },
    {
      peerSiteId: 'b',
      localSlot: 1,
      remoteSlot: 0,
      localAddress: A1,
      remoteAddress: B0,
      remotePort: PORT,
      key: KEY,
    },
  ]
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10)
      await settle(6)
    }
  }
  return {
    clock,
    net,
    prober,
    responder,
    paths,
    rtts,
    run,
    setBlackhole: (on: boolean) => {
      blackhole = on
    },
  }
}

describe('quality prober and responder (fake clock, in-memory sockets)', () => {
  it('measures RTT, jitter, loss and MOS on every path', async () => {
    const t = setup()
    await t.responder.reconfig([{ address: B0, port: PORT, slot: 0 }])
    await t.prober.reconfig(t.paths)
    t.prober.start()
    await t.run(2000)
    const snap = t.prober.snapshot()
    expect(snap).toHaveLength(2)
    for (const p of snap) {
      expect(p.sent).toBeGreaterThanOrEqual(39)
      expect(p.received).toBeGreaterThanOrEqual(p.sent - 1) // the last may be in flight
      expect(p.rttMs).toBeCloseTo(40, 6)
      expect(p.jitterMs).toBe(0)
      expect(p.loss['1s']).toBe(0)
      expect(p.mos).toBeCloseTo(4.409, 3)
    }
    expect(t.rtts.every((r) => r === 40)).toBe(true)
    expect(t.responder.answered).toBeGreaterThanOrEqual(78)
    expect(Object.values(t.prober.drops).every((n) => n === 0)).toBe(true)

    // Blackhole: within the 1 s timeout plus 1 s window, the 1 s loss is total.
    t.setBlackhole(true)
    await t.run(2100)
    const dead = t.prober.snapshot()[0]!
    expect(dead.loss['1s']).toBe(1)
    expect(dead.loss['10s']!).toBeGreaterThan(0.2)
    expect(dead.lost).toBeGreaterThanOrEqual(20)
    await t.prober.stop()
    await t.responder.stop()
  })

  it('jitter follows the RFC 3550 estimator under alternating delay', async () => {
    let flip = 0
    // Requests alternate 20 / 30 ms one way; replies take 20 ms: RTT 40, 50, 40, ...
    const t = setup({ delayMs: (d) => (d.to.port === PORT ? (flip++ % 2 === 0 ? 20 : 30) : 20) })
    await t.responder.reconfig([{ address: B0, port: PORT, slot: 0 }])
    await t.prober.reconfig(t.paths.slice(0, 1))
    t.prober.start()
    await t.run(5000)
    const p = t.prober.snapshot()[0]!
    // |D| = 10 every time: J -> 10 (1 - (15/16)^n).
    expect(p.jitterMs!).toBeGreaterThan(9.5)
    expect(p.jitterMs!).toBeLessThanOrEqual(10)
    expect(p.rttMs!).toBeGreaterThan(40)
    expect(p.rttMs!).toBeLessThan(50)
    await t.prober.stop()
  })

  it('drops forged, replayed, misdirected and junk packets by reason', async () => {
    const t = setup()
    await t.responder.reconfig([{ address: B0, port: PORT, slot: 0 }])
    await t.prober.reconfig(t.paths.slice(0, 1))
    t.prober.start()
    await t.run(200)
    const request = t.net.sent.find((d) => d.to.port === PORT)!
    const reply = t.net.sent.find((d) => d.from.port === PORT)!
    const before = t.prober.snapshot()[0]!.received

    // Replays: the captured request again (responder) and the captured reply again (prober).
    t.net.inject(request)
    t.net.inject(reply)
    // A reply from somewhere else, a reply under the wrong key, junk, a request to the prober.
    t.net.inject({ ...reply, from: { address: '10.9.9.9', port: PORT } })
    const forged = encodeProbe(
      { type: 'reply', senderSlot: 0, receiverSlot: 0, session: 1000, sequence: 3, t1: 0n, t2: 1n },
      new Uint8Array(32).fill(9),
    )
    t.net.inject({ ...reply, bytes: forged })
    t.net.inject({ ...reply, bytes: new Uint8Array(7) })
    t.net.inject({ ...reply, bytes: new Uint8Array(1500) })
    t.net.inject({ ...reply, bytes: request.bytes })
    // To the responder: unknown sender, wrong receiver slot.
    t.net.inject({ ...request, from: { address: '192.0.2.1', port: 5555 } })
    const wrongSlot = encodeProbe(
      { type: 'request', senderSlot: 0, receiverSlot: 3, session: 7, sequence: 1, t1: 1n, t2: 0n },
      KEY,
    )
    t.net.inject({ ...request, bytes: wrongSlot })
    await t.run(100)

    expect(t.responder.drops).toMatchObject({ replay: 1, unknown_peer: 1, unexpected: 1 })
    expect(t.prober.drops).toMatchObject({
      replay: 1,
      unexpected: 2, // wrong source, a request
      bad_tag: 1,
      truncated: 1,
      oversized: 1,
    })
    // None of it counted as a measurement.
    const after = t.prober.snapshot()[0]!
    expect(after.received - before).toBeLessThanOrEqual(3) // only genuine replies (100 ms)
    expect(after.rttMs).toBeCloseTo(40, 6)
    await t.prober.stop()
  })

  it('reconfig keeps the statistics of kept paths and drops removed ones', async () => {
    const t = setup()
    await t.responder.reconfig([{ address: B0, port: PORT, slot: 0 }])
    await t.prober.reconfig(t.paths)
    t.prober.start()
    await t.run(500)
    const sentBefore = t.prober.snapshot()[0]!.sent
    await t.prober.reconfig(t.paths.slice(0, 1))
    await t.run(500)
    const snap = t.prober.snapshot()
    expect(snap.map((p) => p.localSlot)).toEqual([0])
    expect(snap[0]!.sent).toBeGreaterThan(sentBefore)
    // The removed uplink's socket is closed: nothing is sent from A1 any more.
    const fromA1 = t.net.sent.filter((d) => d.from.address === A1).length
    await t.run(300)
    expect(t.net.sent.filter((d) => d.from.address === A1).length).toBe(fromA1)
    await t.prober.stop()
    await t.prober.stop() // idempotent
    // Stopped: the prober sends nothing (the responder may still answer what was in flight).
    const fromProber = () => t.net.sent.filter((d) => d.to.port === PORT).length
    const count = fromProber()
    await t.run(300)
    expect(fromProber()).toBe(count)
  })
})
