/**
 * Sender and receiver together, with a fake clock and a lossy in-memory link: round trip,
 * random and burst loss, the deadline flush and compression. Replay, the window and session
 * restarts are in optimizer-sessions.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  OPTIMIZER_HEADER_LENGTH,
  OPTIMIZER_TUN_MTU,
  parseOptimizerPacket,
} from '../../../protocol/optimizer'
import { FakeClock, settle } from '../../clock/fake'
import { OptimizerReceiver } from './receiver'
import { RedundancyController } from './redundancy'
import { OptimizerSender, type OptimizerSenderConfig } from './sender'
import { randomPacket, seededRandom, textPacket } from './testing'

/** A packet whose first 4 bytes carry its number, so deliveries can be matched to sends. */
function numbered(n: number, body: Uint8Array): Uint8Array {
  const out = body.slice()
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function numberOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0)
}

function pair(
  options: Partial<OptimizerSenderConfig> = {},
  receiver: { deadlineMs?: number; windowBlocks?: number } = {},
) {
  const clock = new FakeClock()
  const wire: Uint8Array[] = []
  const delivered: Uint8Array[] = []
  const rx = new OptimizerReceiver({ clock, deliver: (p) => delivered.push(p), ...receiver })
  const tx = new OptimizerSender({ code: 'block', clock, send: (d) => wire.push(d), ...options })
  return { clock, wire, delivered, rx, tx }
}

describe('optimizer round trip', () => {
  it('delivers every packet, in order, byte for byte, with FEC and compression on', () => {
    const random = seededRandom(1)
    const { wire, delivered, rx, tx } = pair({ m: 5 })
    const sent = Array.from({ length: 300 }, (_, i) =>
      numbered(
        i,
        i % 2
          ? textPacket(40 + Math.floor(random() * 1300), random)
          : randomPacket(40 + Math.floor(random() * 1300), random),
      ),
    )
    for (const p of sent) tx.push(p)
    tx.close()
    for (const d of wire) rx.push(d)
    expect(delivered.map((p) => [...p])).toEqual(sent.map((p) => [...p]))
    expect(tx.stats.parityDatagrams).toBe(12 * 5) // 12 full blocks of 25
    expect(rx.stats.recovered).toBe(0)
    expect(rx.stats.unusedParity).toBe(tx.stats.parityDatagrams)
    expect(Object.values(rx.stats.drops).every((n) => n === 0)).toBe(true)
    expect(rx.openBlocks).toBe(0)
  })

  it('sends data at once and never holds it for the block', () => {
    const { wire, tx } = pair({ m: 5 })
    tx.push(new Uint8Array(100).fill(1))
    expect(wire).toHaveLength(1)
    tx.push(new Uint8Array(100).fill(2))
    expect(wire).toHaveLength(2)
    expect(wire.every((d) => parseOptimizerPacket(d).ok)).toBe(true)
  })

  it('keeps blocks well formed when send throws', () => {
    const clock = new FakeClock()
    const wire: Uint8Array[] = []
    let calls = 0
    const tx = new OptimizerSender({
      code: 'block',
      clock,
      k: 4,
      m: 1,
      autoFlush: false,
      send: (d) => {
        wire.push(d)
        if (++calls % 3 === 0) throw new Error('socket gone')
      },
    })
    let thrown = 0
    for (let i = 0; i < 40; i++) {
      try {
        tx.push(new Uint8Array(64))
      } catch {
        thrown++
      }
    }
    expect(thrown).toBeGreaterThan(5)
    expect(wire.every((d) => parseOptimizerPacket(d).ok)).toBe(true)
    expect(tx.stats.blocks).toBe(10)
  })

  it('refuses packets over the max packet size and counts them', () => {
    const { wire, tx } = pair()
    tx.push(new Uint8Array(OPTIMIZER_TUN_MTU + 1))
    tx.push(new Uint8Array(0))
    tx.push(new Uint8Array(OPTIMIZER_TUN_MTU))
    expect(tx.stats.oversized).toBe(2)
    expect(wire).toHaveLength(1)
  })
})

describe('loss recovery', () => {
  it('recovers 5% random loss to well under 0.5% residual at the controller setting', () => {
    const random = seededRandom(7)
    const controller = new RedundancyController({ clock: new FakeClock() })
    const m = controller.update(0.05)
    expect(m).toBe(5)
    const { clock, wire, delivered, rx, tx } = pair({ m })
    const total = 20_000
    let plainLost = 0
    for (let i = 0; i < total; i++) {
      tx.push(numbered(i, textPacket(200, random)))
      // Forward what the sender produced, losing each datagram with probability 5%.
      for (const d of wire.splice(0)) {
        if (random() < 0.05) {
          if (parseOptimizerPacket(d).ok && d[3] === 1) plainLost++
          continue
        }
        rx.push(d)
      }
    }
    tx.close()
    for (const d of wire.splice(0)) if (random() >= 0.05) rx.push(d)
    clock.advance(1000)
    rx.tick()
    const unique = new Set(delivered.map(numberOf))
    expect(unique.size).toBe(delivered.length) // nothing delivered twice
    const residual = (total - unique.size) / total
    expect(plainLost / total).toBeGreaterThan(0.04) // the link really lost ~5% of data
    expect(residual).toBeLessThan(0.005)
    expect(rx.stats.recovered).toBe(unique.size - (total - plainLost))
    expect(rx.stats.unrecoveredPackets).toBe(total - unique.size)
    // Overhead stays at the 20% level: 5 parity per 25 data.
    expect(tx.stats.parityDatagrams / tx.stats.dataDatagrams).toBeLessThanOrEqual(0.2 + 1e-9)
  })

  it('at 1,000 packets/s with a 4 ms deadline: short blocks, ~1% residual, wait <= deadline', () => {
    // The regime of a real-time stream: the deadline, not k, closes each block (4 packets,
    // round(5 * 4 / 25) = 1 parity). Still 5x less loss than none, and no packet waits longer.
    const random = seededRandom(11)
    const { clock, wire, delivered, rx, tx } = pair({ m: 5, deadlineMs: 4, autoFlush: false })
    const total = 20_000
    for (let i = 0; i < total; i++) {
      clock.advance(1)
      tx.tick()
      rx.tick()
      tx.push(numbered(i, textPacket(160, random)))
      for (const d of wire.splice(0)) if (random() >= 0.05) rx.push(d)
    }
    const residual = (total - new Set(delivered.map(numberOf)).size) / total
    expect(residual).toBeLessThan(0.02)
    expect(residual).toBeGreaterThan(0.002) // short blocks are weaker than full ones
    expect(tx.stats.parityDatagrams / tx.stats.dataDatagrams).toBeCloseTo(0.25, 2)
    expect(rx.stats.recovered).toBeGreaterThan(total * 0.035)
    expect(rx.stats.recoveryWaitMsMax).toBeLessThanOrEqual(4)
  })

  it('counts a block with more losses than parity as unrecoverable once its hold passes', () => {
    const { clock, wire, delivered, rx, tx } = pair({ k: 10, m: 2 }, { deadlineMs: 20 })
    for (let i = 0; i < 10; i++) tx.push(numbered(i, new Uint8Array(64)))
    expect(wire).toHaveLength(12)
    // A burst takes data packets 3, 4 and 5: three losses, two parity.
    wire.forEach((d, i) => {
      if (i < 3 || i > 5) rx.push(d)
    })
    expect(delivered).toHaveLength(7)
    expect(rx.stats.recovered).toBe(0)
    expect(rx.stats.unrecoverableBlocks).toBe(0) // still waiting: more parity could come
    clock.advance(19)
    rx.tick()
    expect(rx.stats.unrecoverableBlocks).toBe(0)
    clock.advance(1)
    rx.tick()
    expect(rx.stats.unrecoverableBlocks).toBe(1)
    expect(rx.stats.unrecoveredPackets).toBe(3)
    expect(rx.openBlocks).toBe(0)
  })

  it('recovers as many losses as there are parity packets, in any order', () => {
    const { wire, delivered, rx, tx } = pair({ k: 10, m: 2 })
    const sent = Array.from({ length: 10 }, (_, i) => numbered(i, new Uint8Array(50 + i * 10)))
    for (const p of sent) tx.push(p)
    // Lose data 0 and 9; deliver parity first, then the rest backwards.
    const kept = wire.filter((_, i) => i !== 0 && i !== 9)
    for (const d of kept.reverse()) rx.push(d)
    expect(rx.stats.recovered).toBe(2)
    expect(delivered.map(numberOf).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const zero = delivered.find((p) => numberOf(p) === 0)!
    expect([...zero]).toEqual([...sent[0]!])
  })
})

describe('deadline flush', () => {
  it("sends a short block's parity when the deadline passes (clock timer)", async () => {
    const { clock, wire, delivered, rx, tx } = pair({ m: 5, deadlineMs: 4 })
    for (let i = 0; i < 3; i++) tx.push(numbered(i, textPacket(300, seededRandom(i))))
    expect(wire).toHaveLength(3)
    clock.advance(3)
    await settle()
    expect(wire).toHaveLength(3)
    clock.advance(1)
    await settle()
    // round(5 * 3 / 25) = 1 parity, and it says the block has 3 data packets.
    expect(wire).toHaveLength(4)
    const parity = parseOptimizerPacket(wire[3]!)
    expect(parity.ok && [parity.packet.type, parity.packet.k, parity.packet.m]).toEqual([
      'parity',
      3,
      1,
    ])
    expect(tx.stats.deadlineFlushes).toBe(1)
    // The lost middle packet comes back from that parity.
    for (const d of wire.filter((_, i) => i !== 1)) rx.push(d)
    expect(delivered.map(numberOf).sort()).toEqual([0, 1, 2])
    expect(rx.stats.recovered).toBe(1)
    // The next block starts fresh and gets its own deadline.
    tx.push(numbered(9, new Uint8Array(80)))
    clock.advance(4)
    await settle()
    expect(wire).toHaveLength(6)
    tx.close()
  })

  it('protects the very next packet when redundancy goes from 0 to m', () => {
    const { wire, tx } = pair({ m: 0, autoFlush: false })
    tx.push(new Uint8Array(100))
    tx.setRedundancy(5)
    tx.push(new Uint8Array(100))
    const second = parseOptimizerPacket(wire[1]!)
    expect(second.ok && [second.packet.block, second.packet.index, second.packet.m]).toEqual([
      1, 0, 5,
    ])
  })

  it('flushes on tick() when the owner drives time', () => {
    const { clock, wire, tx } = pair({ m: 5, deadlineMs: 4, autoFlush: false })
    tx.push(new Uint8Array(100))
    tx.tick()
    expect(wire).toHaveLength(1)
    clock.advance(4)
    tx.tick()
    expect(wire).toHaveLength(2)
    expect(tx.stats.deadlineFlushes).toBe(1)
  })

  it('gives a lone packet a parity copy, and never more than m per full block', () => {
    const { clock, wire, tx } = pair({ k: 10, m: 2, autoFlush: false })
    tx.push(new Uint8Array(100))
    clock.advance(10)
    tx.tick()
    expect(wire).toHaveLength(2)
    wire.length = 0
    for (let i = 0; i < 10; i++) tx.push(new Uint8Array(100))
    expect(wire).toHaveLength(12)
  })

  it("turning FEC off sends the open block's parity at once, then no more parity", () => {
    const { wire, tx } = pair({ m: 5, autoFlush: false })
    tx.push(new Uint8Array(100))
    tx.setOptions({ fec: false })
    expect(wire).toHaveLength(2)
    for (let i = 0; i < 30; i++) tx.push(new Uint8Array(100))
    expect(wire).toHaveLength(32)
    expect(tx.stats.parityDatagrams).toBe(1)
    expect(tx.redundancy).toBe(0)
  })
})

describe('compression', () => {
  it('compresses a compressible packet and flags it', () => {
    const { wire, delivered, rx, tx } = pair({ fec: false })
    const p = textPacket(1000, seededRandom(3))
    tx.push(p)
    expect(wire[0]!.length).toBeLessThan(OPTIMIZER_HEADER_LENGTH + p.length)
    expect(wire[0]![4]).toBe(1)
    rx.push(wire[0]!)
    expect([...delivered[0]!]).toEqual([...p])
    expect(tx.stats.storedBytes).toBeLessThan(tx.stats.bytes)
  })

  it('sends an incompressible packet raw', () => {
    const { wire, delivered, rx, tx } = pair({ fec: false })
    const p = randomPacket(1000, seededRandom(4))
    tx.push(p)
    expect(wire[0]!.length).toBe(OPTIMIZER_HEADER_LENGTH + p.length)
    expect(wire[0]![4]).toBe(0)
    rx.push(wire[0]!)
    expect([...delivered[0]!]).toEqual([...p])
    expect(tx.stats.compressedPackets).toBe(0)
  })

  it('sends everything raw with compression off', () => {
    const { wire, tx } = pair({ fec: false, compression: false })
    tx.push(textPacket(1000, seededRandom(5)))
    expect(wire[0]![4]).toBe(0)
    expect(wire[0]!.length).toBe(OPTIMIZER_HEADER_LENGTH + 1000)
  })

  it('rebuilds a lost compressed packet from parity and decompresses it', () => {
    const { wire, delivered, rx, tx } = pair({ k: 4, m: 1 })
    const sent = Array.from({ length: 4 }, (_, i) => numbered(i, textPacket(900, seededRandom(i))))
    for (const p of sent) tx.push(p)
    for (const d of wire.filter((_, i) => i !== 2)) rx.push(d)
    const two = delivered.find((p) => numberOf(p) === 2)
    expect(two && [...two]).toEqual([...sent[2]!])
  })
})
