/**
 * The sliding-window code end to end (OptimizerSender code 'sliding' -> OptimizerReceiver) with a
 * fake clock and a lossy in-memory link: lone losses and bursts, the time bound, residual loss
 * and recovery delay at 1,000 packets/s, redundancy levels as repair spacing, give-up and bounds.
 */
import { describe, expect, it } from 'vitest'
import { parseOptimizerPacket } from '../../../protocol/optimizer'
import { FakeClock, settle } from '../../clock/fake'
import { OptimizerReceiver, type OptimizerReceiverConfig } from './receiver'
import { parityFor } from './redundancy'
import { OptimizerSender, type OptimizerSenderConfig } from './sender'
import { randomPacket, seededRandom, textPacket } from './testing'

function numbered(n: number, body: Uint8Array): Uint8Array {
  const out = body.slice()
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function numberOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0)
}

const isRepair = (d: Uint8Array) => d[3] === 4

function pair(
  options: Partial<OptimizerSenderConfig> = {},
  receiver: Partial<OptimizerReceiverConfig> = {},
) {
  const clock = new FakeClock()
  const wire: Uint8Array[] = []
  const delivered: Uint8Array[] = []
  const deliveredAt = new Map<number, number>()
  const rx = new OptimizerReceiver({
    clock,
    deliver: (p) => {
      delivered.push(p)
      deliveredAt.set(numberOf(p), clock.now())
    },
    ...receiver,
  })
  const tx = new OptimizerSender({
    clock,
    send: (d) => wire.push(d),
    code: 'sliding',
    k: 25,
    m: 5,
    autoFlush: false,
    ...options,
  })
  return { clock, wire, delivered, deliveredAt, rx, tx }
}

describe('sliding-window code: round trip and repairs', () => {
  it('is the default code, and delivers every packet byte for byte with a repair every 5', () => {
    const random = seededRandom(1)
    const clock = new FakeClock()
    const def = new OptimizerSender({ clock, send: () => {} })
    expect(def.code).toBe('sliding')
    def.close()
    const { wire, delivered, rx, tx } = pair()
    const sent = Array.from({ length: 100 }, (_, i) =>
      numbered(i, i % 2 ? textPacket(40 + i * 12, random) : randomPacket(40 + i * 12, random)),
    )
    for (const p of sent) tx.push(p)
    for (const d of wire) rx.push(d)
    expect(delivered.map((p) => [...p])).toEqual(sent.map((p) => [...p]))
    expect(tx.stats.parityDatagrams).toBe(20)
    expect(wire.every((d) => parseOptimizerPacket(d).ok)).toBe(true)
    // Every repair follows its 5th packet and covers the last 32 (or all so far).
    const repairs = wire.filter(isRepair).map((d) => parseOptimizerPacket(d))
    expect(repairs.map((r) => r.ok && r.packet.k).slice(0, 8)).toEqual([
      5, 10, 15, 20, 25, 30, 32, 32,
    ])
    expect(rx.stats.unusedParity).toBe(20)
    expect(rx.stats.recovered).toBe(0)
  })

  it('rebuilds a lone loss from the next repair, within the time bound', () => {
    const { clock, wire, delivered, deliveredAt, rx, tx } = pair()
    const sentAt = new Map<number, number>()
    for (let i = 0; i < 10; i++) {
      clock.advance(1)
      sentAt.set(i, clock.now())
      tx.push(numbered(i, textPacket(300, seededRandom(i))))
      for (const d of wire.splice(0)) {
        const p = parseOptimizerPacket(d)
        if (p.ok && p.packet.type === 'source' && p.packet.block === 1) continue // lost
        rx.push(d)
      }
    }
    expect(rx.stats.recovered).toBe(1)
    expect(delivered.map(numberOf).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    // Packet 1 came back with the repair sent after packet 4: 3 ms late.
    expect(deliveredAt.get(1)! - sentAt.get(1)!).toBe(3)
    expect(rx.stats.recoveryWaitMsMax).toBeLessThanOrEqual(tx.repairDelayMs)
  })

  it('sends a repair at most repairDelayMs after the oldest unprotected packet (clock timer)', async () => {
    const { clock, wire, delivered, rx, tx } = pair({ autoFlush: true })
    tx.push(numbered(0, new Uint8Array(80)))
    tx.push(numbered(1, new Uint8Array(90)))
    clock.advance(4)
    await settle()
    expect(wire.filter(isRepair)).toHaveLength(0)
    clock.advance(1)
    await settle()
    expect(wire.filter(isRepair)).toHaveLength(1)
    expect(tx.stats.deadlineFlushes).toBe(1)
    // The repair rebuilds either packet.
    for (const d of wire.filter((_, i) => i !== 0)) rx.push(d)
    expect(delivered.map(numberOf).sort()).toEqual([0, 1])
    // Nothing unprotected: no more repairs.
    clock.advance(50)
    await settle()
    expect(wire.filter(isRepair)).toHaveLength(1)
    tx.close()
  })

  it('rebuilds a burst from the repairs that follow it', () => {
    const { wire, delivered, rx, tx } = pair()
    for (let i = 0; i < 40; i++) tx.push(numbered(i, randomPacket(200 + i, seededRandom(i))))
    // A burst takes source packets 6, 7, 8 and 9 and the repair after packet 9.
    let source = -1
    for (const d of wire) {
      if (!isRepair(d)) source++
      if (source >= 6 && source <= 9) continue
      rx.push(d)
    }
    expect(rx.stats.recovered).toBe(4)
    expect(new Set(delivered.map(numberOf)).size).toBe(40)
    expect(rx.stats.unrecoveredPackets).toBe(0)
    const nine = delivered.find((p) => numberOf(p) === 9)!
    expect([...nine]).toEqual([...numbered(9, randomPacket(209, seededRandom(9)))])
  })

  it('uses a late original to solve the rest (two unknowns, one repair, then the straggler)', () => {
    const { wire, delivered, rx, tx } = pair()
    for (let i = 0; i < 5; i++) tx.push(numbered(i, textPacket(100 + i * 50, seededRandom(i))))
    expect(wire).toHaveLength(6)
    // Lose 1 and 3, deliver the repair: two unknowns, one equation.
    for (const i of [0, 2, 4, 5]) rx.push(wire[i]!)
    expect(rx.stats.recovered).toBe(0)
    expect(rx.slidingUnknowns).toBe(2)
    rx.push(wire[3]!) // packet 3 was only late
    expect(rx.stats.recovered).toBe(1)
    expect(delivered.map(numberOf).sort()).toEqual([0, 1, 2, 3, 4])
    rx.push(wire[1]!) // the rebuilt packet's original: a duplicate
    expect(rx.stats.drops.duplicate).toBe(1)
    expect(delivered).toHaveLength(5)
  })

  it('rebuilds a lost compressed packet and decompresses it', () => {
    const { wire, delivered, rx, tx } = pair({ k: 4, m: 1 })
    const sent = Array.from({ length: 4 }, (_, i) => numbered(i, textPacket(900, seededRandom(i))))
    for (const p of sent) tx.push(p)
    expect(wire[2]![4]).toBe(1) // compressed
    for (const d of wire.filter((_, i) => i !== 2)) rx.push(d)
    expect([...delivered.find((p) => numberOf(p) === 2)!]).toEqual([...sent[2]!])
  })
})

describe('sliding-window code at 1,000 packets/s', () => {
  /**
   * 20,000 packets, one per ms, every datagram (source and repair) lost with probability
   * `loss`; returns residual loss, overhead and the added latency of every delivered packet.
   */
  function run(loss: number, k: number, m: number, seed: number) {
    const random = seededRandom(seed)
    const { clock, wire, delivered, deliveredAt, rx, tx } = pair({ k, m })
    const total = 20_000
    let sourceLost = 0
    for (let i = 0; i < total; i++) {
      clock.advance(1)
      tx.tick()
      rx.tick()
      tx.push(numbered(i, textPacket(160, random)))
      for (const d of wire.splice(0)) {
        if (random() < loss) {
          if (!isRepair(d)) sourceLost++
          continue
        }
        rx.push(d)
      }
    }
    const unique = new Set(delivered.map(numberOf))
    expect(unique.size).toBe(delivered.length)
    // Delivered at once means added latency 0; sent at i + 1 (the clock moved first).
    const added = [...unique].map((n) => deliveredAt.get(n)! - (n + 1 + Date.UTC(2026, 0, 1)))
    added.sort((a, b) => a - b)
    return {
      sourceLostRatio: sourceLost / total,
      residual: (total - unique.size) / total,
      overhead: tx.stats.parityDatagrams / tx.stats.dataDatagrams,
      p99: added[Math.floor(0.99 * added.length)]!,
      max: added[added.length - 1]!,
      rx,
    }
  }

  it('5% random loss, 20% level: residual < 0.1% at <= 20% overhead', () => {
    const r = run(0.05, 25, parityFor(0.2, 25), 7)
    expect(r.sourceLostRatio).toBeGreaterThan(0.045) // the link really lost ~5%
    expect(r.residual).toBeLessThan(0.001)
    expect(r.overhead).toBeLessThanOrEqual(0.2 + 1e-9)
    expect(r.overhead).toBeGreaterThan(0.19)
    expect(r.rx.stats.recovered).toBeGreaterThan(20_000 * 0.045)
    // Added latency over all delivered packets: most losses come back with the next repair
    // (<= 4 ms), but ~1.2% of packets need a second repair 5 ms later (two losses between
    // repairs, or the repair lost), so p99 is 5-7 ms at 20%: the 5 ms goal is missed here.
    expect(r.p99).toBeLessThanOrEqual(7)
  })

  it('5% random loss, 25% overhead (a repair every 4): p99 of added latency < 5 ms', () => {
    const r = run(0.05, 20, 5, 7)
    expect(r.residual).toBeLessThan(0.001)
    expect(r.overhead).toBeCloseTo(0.25, 2)
    expect(r.p99).toBeLessThan(5)
  })
})

describe('sliding-window code: redundancy, give-up and bounds', () => {
  it('maps the redundancy levels to repair spacing (m of k = one repair every k/m packets)', () => {
    for (const overhead of [0.05, 0.1, 0.15, 0.2]) {
      const m = parityFor(overhead, 25)
      const { tx } = pair({ m })
      for (let i = 0; i < 1000; i++) tx.push(new Uint8Array(100))
      expect(tx.stats.parityDatagrams).toBe(Math.floor((1000 * m) / 25))
    }
    const { wire, tx } = pair({ m: 0 })
    for (let i = 0; i < 100; i++) tx.push(new Uint8Array(100))
    tx.close()
    expect(wire.filter(isRepair)).toHaveLength(0)
  })

  it('protects what was sent when FEC is turned off or the sender closes', () => {
    const { wire, tx } = pair()
    tx.push(new Uint8Array(100))
    tx.push(new Uint8Array(100))
    tx.setOptions({ fec: false })
    expect(wire.filter(isRepair)).toHaveLength(1)
    for (let i = 0; i < 20; i++) tx.push(new Uint8Array(100))
    expect(wire.filter(isRepair)).toHaveLength(1)
    tx.setOptions({ fec: true })
    tx.push(new Uint8Array(100))
    tx.close()
    expect(wire.filter(isRepair)).toHaveLength(2)
    // The last repair covers only the packet sent since FEC came back (the run is broken).
    const last = parseOptimizerPacket(wire[wire.length - 1]!)
    expect(last.ok && [last.packet.block, last.packet.k]).toEqual([22, 1])
  })

  it('gives up a packet whose repairs were lost once its hold passes, and counts it', () => {
    const { clock, wire, rx, tx } = pair({}, { slidingHoldMs: 80 })
    for (let i = 0; i < 10; i++) tx.push(numbered(i, new Uint8Array(64)))
    // Packet 2 and every repair are lost.
    wire.forEach((d, i) => {
      if (i !== 2 && !isRepair(d)) rx.push(d)
    })
    expect(rx.slidingUnknowns).toBe(1)
    clock.advance(79)
    rx.tick()
    expect(rx.stats.unrecoveredPackets).toBe(0)
    clock.advance(1)
    rx.tick()
    expect(rx.stats.unrecoveredPackets).toBe(1)
    expect(rx.slidingUnknowns).toBe(0)
    // A late repair covering it can no longer help: unused, not a crash or a wrong packet.
    rx.push(wire.find(isRepair)!)
    expect(rx.stats.unusedParity).toBe(1)
    expect(rx.stats.recovered).toBe(0)
  })

  it('gives up packets older than the window (horizon) and drops repairs reaching behind it', () => {
    const { wire, delivered, rx, tx } = pair({ window: 8, k: 8, m: 1 }, { slidingHorizon: 64 })
    for (let i = 0; i < 200; i++) tx.push(numbered(i, new Uint8Array(64)))
    const repairs = wire.filter(isRepair)
    const sources = wire.filter((d) => !isRepair(d))
    // Packets 3 and 4 are lost and so is every repair until much later.
    sources.forEach((d, i) => {
      if (i !== 3 && i !== 4) rx.push(d)
    })
    expect(rx.stats.unrecoveredPackets).toBe(2) // both fell behind the 64-packet horizon
    expect(rx.slidingUnknowns).toBe(0)
    rx.push(repairs[0]!) // window 0..7, far behind the newest (199)
    expect(rx.stats.drops.out_of_window).toBe(1)
    expect(delivered).toHaveLength(198)
  })

  it('keeps its memory bounded when nothing can be rebuilt', () => {
    const { wire, rx, tx } = pair({ window: 32, k: 25, m: 5 }, { slidingHorizon: 128 })
    for (let i = 0; i < 3000; i++) tx.push(new Uint8Array(50))
    // Lose half the source packets: far more unknowns than repairs can solve.
    let n = 0
    for (const d of wire) if (isRepair(d) || n++ % 2 === 0) rx.push(d)
    expect(rx.slidingUnknowns).toBeLessThanOrEqual(128)
    expect(rx.stats.unrecoveredPackets).toBeGreaterThan(1000)
    rx.close()
    expect(rx.slidingUnknowns).toBe(0)
  })

  it('drops a replayed repair as a duplicate', () => {
    const { wire, rx, tx } = pair()
    for (let i = 0; i < 5; i++) tx.push(new Uint8Array(64))
    for (const d of wire) rx.push(d)
    rx.push(wire[5]!)
    expect(rx.stats.drops.duplicate).toBe(1)
  })

  it('rebuilds packets of every size and kind byte for byte at 10% loss', () => {
    const random = seededRandom(21)
    const { clock, wire, delivered, rx, tx } = pair()
    const sent = new Map<number, string>()
    for (let i = 0; i < 2000; i++) {
      clock.advance(1)
      tx.tick()
      rx.tick()
      const size = 20 + Math.floor(random() * 1300)
      const p = numbered(i, random() < 0.5 ? textPacket(size, random) : randomPacket(size, random))
      sent.set(i, Buffer.from(p).toString('hex'))
      tx.push(p)
      for (const d of wire.splice(0)) if (random() >= 0.1) rx.push(d)
    }
    expect(rx.stats.recovered).toBeGreaterThan(100)
    for (const p of delivered) expect(Buffer.from(p).toString('hex')).toBe(sent.get(numberOf(p)))
    expect(rx.stats.drops.bad_shard + rx.stats.drops.decompress_failed).toBe(0)
  })
})
