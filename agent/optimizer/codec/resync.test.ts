/**
 * Far jumps in a session's numbers (docs/wanopt.md): one datagram far ahead or behind must change
 * nothing for the real stream; a real sender back from a long outage, or restarted under the
 * same session id, is confirmed within a few datagrams; loss counted for a gap stays bounded.
 * Both codes, end to end (OptimizerSender -> OptimizerReceiver), and the guard alone.
 */
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../clock/fake'
import { OptimizerReceiver } from './receiver'
import { JumpGuard, RESYNC_CONFIRMATIONS } from './resync'
import { type OptimizerCode, OptimizerSender } from './sender'

const SESSION = 7
/** Datagrams a far jump may cost before the receiver is confirmed at the new position. */
const RESYNC_COST = RESYNC_CONFIRMATIONS - 1

/** A packet carrying its number in its first 4 bytes (and a body to compress or not). */
function numbered(n: number): Uint8Array {
  const out = new Uint8Array(60).fill(n & 0xff)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function numberOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0)
}

/** A copy of a valid datagram with another ESI (sliding code) or block number (block code). */
function renumbered(d: Uint8Array, position: number): Uint8Array {
  const out = Uint8Array.from(d) // a copy of its own (a Buffer's slice would be a view)
  new DataView(out.buffer).setUint32(12, position)
  return out
}

const isRepairOrParity = (d: Uint8Array) => d[3] === 2 || d[3] === 4

function link(code: OptimizerCode) {
  const clock = new FakeClock()
  const delivered: number[] = []
  const rx = new OptimizerReceiver({ clock, deliver: (p) => delivered.push(numberOf(p)) })
  /** A sender of this session (a new one is a restart under the same id). */
  const sender = () => {
    const wire: Uint8Array[] = []
    const tx = new OptimizerSender({
      clock,
      send: (d) => wire.push(d),
      code,
      k: 4,
      m: 1,
      session: SESSION,
      autoFlush: false,
    })
    /** Sends packets [from, to) and returns their datagrams. */
    const send = (from: number, to: number): Uint8Array[] => {
      const start = wire.length
      for (let n = from; n < to; n++) tx.push(numbered(n))
      return wire.slice(start)
    }
    return { tx, send }
  }
  return { clock, rx, delivered, sender }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe.each(['sliding', 'block'] as const)('%s code: far jumps', (code) => {
  it.each([
    ['ahead', 0x40000001],
    ['behind', 0],
  ])('one datagram far %s changes nothing for the real stream', (_, position) => {
    const { rx, delivered, sender } = link(code)
    const { send } = sender()
    // Far enough along that 0 is far behind for both codes (128 blocks of 4, 256 ESIs).
    for (const d of send(0, 1000)) rx.push(d)
    const next = send(1000, 1040)
    for (const [i, d] of next.entries()) {
      if (i === 5) rx.push(renumbered(d, position))
      if (i === 6 && isRepairOrParity(d)) rx.push(renumbered(d, position + 1))
      rx.push(d)
    }
    expect(delivered).toEqual(range(0, 1040))
    expect(rx.stats.drops.out_of_window).toBeGreaterThanOrEqual(1)
    expect(rx.stats.drops.out_of_window).toBeLessThanOrEqual(2)
    expect(rx.stats.resyncs).toBe(0)
    expect(rx.stats.unrecoveredPackets).toBe(0)
    rx.close()
    expect(rx.stats.unrecoveredPackets).toBe(0)
  })

  it('a datagram as far ahead as the bound allows still leaves the current numbers in', () => {
    const { rx, delivered, sender } = link(code)
    const { send } = sender()
    // The most the window moves for one datagram: horizon - 1 ESIs, window - 1 blocks.
    const bound = code === 'sliding' ? 255 : 127
    const wire = send(0, 200)
    for (const [i, d] of wire.entries()) {
      rx.push(d)
      if (i === 101) {
        const own = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(12)
        rx.push(renumbered(d, own + bound))
      }
    }
    // At most the one real packet that the forged one's number and index take.
    expect(delivered.length).toBeGreaterThanOrEqual(199)
    expect(rx.stats.resyncs).toBe(0)
  })

  it('a forged far datagram of each type in turn costs the real stream nothing', () => {
    const { rx, delivered, sender } = link(code)
    const { send } = sender()
    const wire = send(0, 200)
    const forged = wire.slice(0, 10).map((d, i) => renumbered(d, 0x40000001 + i * 1000))
    for (const [i, d] of wire.entries()) {
      rx.push(d)
      const f = forged[i % forged.length]
      if (f && i % 3 === 0) rx.push(f)
    }
    expect(delivered).toEqual(range(0, 200))
    expect(rx.stats.resyncs).toBe(0)
    rx.close()
    expect(rx.stats.unrecoveredPackets).toBe(0)
  })

  it('a real sender back from a long outage is confirmed within a few datagrams', () => {
    const { clock, rx, delivered, sender } = link(code)
    const { send } = sender()
    for (const d of send(0, 20)) rx.push(d)
    send(20, 20_020) // all lost: far more than the horizon or window
    clock.advance(1_000)
    for (const d of send(20_020, 20_060)) rx.push(d)
    const resumed = delivered.filter((n) => n >= 20_020)
    expect(resumed.length).toBeGreaterThanOrEqual(40 - RESYNC_COST)
    // Each once (the held ones may come back later from repairs: they are no loss then).
    expect(new Set(resumed).size).toBe(resumed.length)
    expect(resumed.every((n) => n < 20_060)).toBe(true)
    expect(rx.stats.resyncs).toBe(1)
    rx.close()
    // The gap (outage or restart, unknowable) is not counted as 20,000 lost packets.
    expect(rx.stats.unrecoveredPackets).toBeLessThanOrEqual(256)
  })

  it('a sender restarted under the same session id is confirmed within a few datagrams', () => {
    const { rx, delivered, sender } = link(code)
    for (const d of sender().send(0, 2000)) rx.push(d)
    for (const d of sender().send(5000, 5040)) rx.push(d)
    const after = delivered.filter((n) => n >= 5000)
    expect(after.length).toBeGreaterThanOrEqual(40 - RESYNC_COST)
    expect(new Set(after).size).toBe(after.length)
    expect(after.every((n) => n < 5040)).toBe(true)
    expect(rx.stats.resyncs).toBe(1)
  })

  it('even a confirmed forged jump costs the real stream only a few datagrams', () => {
    const { rx, delivered, sender } = link(code)
    const { send } = sender()
    const wire = send(0, 100)
    for (const d of wire.slice(0, 50)) rx.push(d)
    // Consistent far datagrams in a row: the receiver goes there; the real stream brings it back.
    for (let i = 0; i < RESYNC_CONFIRMATIONS; i++) rx.push(renumbered(wire[i]!, 0x40000001 + i))
    for (const d of wire.slice(50)) rx.push(d)
    const real = delivered.filter((n) => n < 100)
    const tail = wire.slice(50).length
    expect(real.length).toBeGreaterThanOrEqual(100 - Math.min(tail, RESYNC_COST) - 2)
    expect(rx.stats.resyncs).toBe(2)
    rx.close()
    expect(rx.stats.unrecoveredPackets).toBeLessThanOrEqual(256)
  })
})

describe('sliding code: gaps within the bound', () => {
  it('takes a gap shorter than the horizon as loss, counted exactly, with no resync', () => {
    const { clock, rx, delivered, sender } = link('sliding')
    const { send } = sender()
    for (const d of send(0, 10)) rx.push(d)
    send(10, 210) // 200 lost: within the 256-ESI horizon
    for (const d of send(210, 230)) rx.push(d)
    clock.advance(1_000)
    rx.tick()
    expect(delivered).toEqual([...range(0, 10), ...range(210, 230)])
    expect(rx.stats.resyncs).toBe(0)
    expect(rx.stats.unrecoveredPackets).toBe(200)
  })
})

describe('JumpGuard', () => {
  const bounds = { maxAhead: 256, maxBehind: 255, tolerance: 256 }

  it('lets anything near the newest position through, and the first position anywhere', () => {
    const g = new JumpGuard(bounds)
    expect(g.check(0x40000001, -1)).toBe('near')
    expect(g.check(1256, 1000)).toBe('near')
    expect(g.check(745, 1000)).toBe('near')
    expect(g.check(1257, 1000)).toBe('held')
    expect(g.check(744, 1000)).toBe('held')
  })

  it('resyncs only after consecutive consistent far positions', () => {
    const g = new JumpGuard(bounds)
    expect(g.check(9000, 1000)).toBe('held')
    expect(g.check(9001, 1000)).toBe('held')
    expect(g.check(9002, 1000)).toBe('resync')
    // Counting starts again after a resync.
    expect(g.check(20000, 1000)).toBe('held')
  })

  it('a near position or an inconsistent far one breaks the run', () => {
    const g = new JumpGuard(bounds)
    expect(g.check(9000, 1000)).toBe('held')
    expect(g.check(9001, 1000)).toBe('held')
    expect(g.check(1001, 1000)).toBe('near')
    expect(g.check(9002, 1001)).toBe('held')
    expect(g.check(9003, 1001)).toBe('held')
    expect(g.check(50000, 1001)).toBe('held')
    expect(g.check(50001, 1001)).toBe('held')
    expect(g.check(50002, 1001)).toBe('resync')
  })
})
