/**
 * Property tests of the parser and the receiver: arbitrary bytes and mutated valid datagrams
 * never make them throw or run long, and every datagram is accounted for (accepted or dropped
 * with a known reason).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  OPTIMIZER_DROP_REASONS,
  type OptimizerDropReason,
  parseOptimizerPacket,
} from '../../../protocol/optimizer'
import { FakeClock } from '../../clock/fake'
import { OptimizerReceiver } from './receiver'
import { OptimizerSender } from './sender'
import { randomPacket, seededRandom, textPacket } from './testing'

/** Reasons a datagram is refused before it is accepted (parse, window). */
const BEFORE_ACCEPT: OptimizerDropReason[] = [
  'truncated',
  'oversized',
  'bad_magic',
  'bad_version',
  'bad_type',
  'malformed',
  'duplicate',
  'out_of_window',
]

/**
 * Valid datagrams of two block-code sessions (data + parity) and two sliding-window sessions
 * (source + repair, one with a repair every other packet), some compressed.
 */
function validDatagrams(seed: number): Uint8Array[] {
  const random = seededRandom(seed)
  const wire: Uint8Array[] = []
  const codes = [
    [42, 'block', 4],
    [43, 'block', 4],
    [44, 'sliding', 4],
    [45, 'sliding', 8],
  ] as const
  for (const [session, code, window] of codes) {
    const tx = new OptimizerSender({
      clock: new FakeClock(),
      send: (d) => wire.push(d),
      code,
      window,
      k: 4,
      m: 2,
      session,
      autoFlush: false,
    })
    for (let i = 0; i < 10; i++) {
      tx.push(i % 2 ? textPacket(20 + i * 30, random) : randomPacket(20 + i * 30, random))
    }
    tx.close()
  }
  return wire
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(2000), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(2000) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(20), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function apply(d: Uint8Array, m: Mutation): Uint8Array {
  const out = d.slice()
  switch (m.kind) {
    case 'flip': {
      const at = m.at % out.length
      out[at] = out[at]! ^ (1 << m.bit)
      return out
    }
    case 'truncate':
      return out.subarray(0, m.at % (out.length + 1))
    case 'set':
      if (m.at < out.length) out[m.at] = m.value
      return out
    case 'append': {
      const longer = new Uint8Array(out.length + m.bytes.length)
      longer.set(out)
      longer.set(m.bytes, out.length)
      return longer
    }
  }
}

function accounted(rx: OptimizerReceiver, pushed: number): void {
  const s = rx.stats
  expect(s.datagrams).toBe(pushed)
  const refused = BEFORE_ACCEPT.reduce((n, r) => n + s.drops[r], 0)
  expect(s.accepted + refused).toBe(pushed)
}

describe('optimizer parser (fuzz)', () => {
  it('never throws on arbitrary bytes and names a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
        const started = performance.now()
        const r = parseOptimizerPacket(bytes)
        expect(performance.now() - started).toBeLessThan(50)
        if (!r.ok) expect(OPTIMIZER_DROP_REASONS).toContain(r.reason)
        else expect(r.packet.payload.length).toBe(bytes.length - 16)
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on arbitrary bytes behind a valid header', () => {
    const header = validDatagrams(1)[0]!.subarray(0, 16)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), fc.nat(15), fc.nat(255), (tail, at, v) => {
        const bytes = new Uint8Array(16 + tail.length)
        bytes.set(header)
        bytes[at] = v
        bytes.set(tail, 16)
        const r = parseOptimizerPacket(bytes)
        if (!r.ok) expect(OPTIMIZER_DROP_REASONS).toContain(r.reason)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('optimizer receiver (fuzz)', () => {
  it('survives and counts arbitrary datagrams', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 40 }), (list) => {
        const clock = new FakeClock()
        const rx = new OptimizerReceiver({ clock, deliver: () => {} })
        for (const d of list) rx.push(d)
        accounted(rx, list.length)
        rx.close()
      }),
      { numRuns: 500 },
    )
  })

  it('survives and counts mutated, reordered and repeated valid datagrams', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.array(
          fc.record({
            pick: fc.nat(100),
            mutate: fc.option(mutation),
            wait: fc.nat(30),
            from: fc.option(fc.constantFrom('a', 'b')),
          }),
          { maxLength: 60 },
        ),
        (seed, steps) => {
          const valid = validDatagrams(seed)
          const clock = new FakeClock()
          const delivered: Uint8Array[] = []
          const rx = new OptimizerReceiver({
            clock,
            deliver: (p) => delivered.push(p),
            maxOpenBlocks: 4,
          })
          for (const step of steps) {
            const d = valid[step.pick % valid.length]!
            rx.push(step.mutate ? apply(d, step.mutate) : d.slice(), step.from ?? undefined)
            clock.advance(step.wait)
            if (step.wait > 25) rx.tick()
          }
          accounted(rx, steps.length)
          expect(rx.openBlocks).toBeLessThanOrEqual(4 * rx.sessions) // per session
          expect(rx.slidingUnknowns).toBeLessThanOrEqual(256 * rx.sessions)
          // Delivered packets are bounded by the max packet size.
          for (const p of delivered) expect(p.length).toBeLessThanOrEqual(rx.maxPacket)
          rx.close()
          expect(rx.openBlocks).toBe(0)
          expect(rx.slidingUnknowns).toBe(0)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('sliding code: loss, reordering and duplicates deliver only sent packets, each once', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.array(fc.record({ lose: fc.boolean(), swap: fc.boolean(), again: fc.nat(9) }), {
          minLength: 10,
          maxLength: 80,
        }),
        (seed, plan) => {
          const random = seededRandom(seed)
          const sent = new Map<string, number>()
          const wire: Uint8Array[] = []
          const tx = new OptimizerSender({
            clock: new FakeClock(),
            send: (d) => wire.push(d),
            code: 'sliding',
            window: 8,
            k: 4,
            m: 1,
            autoFlush: false,
          })
          for (let i = 0; i < 40; i++) {
            const p = i % 2 ? textPacket(10 + i * 13, random) : randomPacket(10 + i * 7, random)
            p[0] = i // distinct packets
            sent.set(Buffer.from(p).toString('hex'), 0)
            tx.push(p)
          }
          tx.close()
          // Lose, swap neighbours and repeat datagrams as the plan says.
          const order: Uint8Array[] = []
          wire.forEach((d, i) => {
            const step = plan[i % plan.length]!
            if (step.lose) return
            if (step.swap && order.length > 0) order.splice(order.length - 1, 0, d)
            else order.push(d)
            if (step.again === 0) order.push(d)
          })
          const clock = new FakeClock()
          const rx = new OptimizerReceiver({
            clock,
            deliver: (p) => {
              const key = Buffer.from(p).toString('hex')
              const seen = sent.get(key)
              expect(seen).toBe(0) // a packet that was sent, not yet delivered
              sent.set(key, 1)
            },
          })
          for (const d of order) rx.push(d)
          accounted(rx, order.length)
          expect(rx.stats.drops.bad_shard + rx.stats.drops.inconsistent).toBe(0)
          rx.close()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('one datagram injected amid a valid stream costs it at most a few deliveries', () => {
    // docs/wanopt.md: a forged or corrupted datagram, near the stream's numbers or far from them,
    // must not move a session's window away from the real sender. Its worst cost: it takes the
    // place of one real packet (a source or data packet with the same number, then a duplicate), or
    // it fixes a block's shape so that the block's other data (k - 1 here) is inconsistent. Seen
    // over 16,000 runs: at most 1 for the sliding code, at most k = 4 for the block code.
    const K = 4
    const forged = fc.record({
      pick: fc.nat(),
      position: fc.oneof(
        fc.record({ far: fc.constant(true), value: fc.nat({ max: 0xffffffff }) }),
        fc.record({ far: fc.constant(false), value: fc.integer({ min: -600, max: 600 }) }),
      ),
      header: fc.array(fc.record({ at: fc.nat(15), value: fc.nat(255) }), { maxLength: 2 }),
      tail: fc.option(fc.uint8Array({ maxLength: 200 })),
    })
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.constantFrom('sliding' as const, 'block' as const),
        fc.nat(),
        forged,
        (seed, code, at, f) => {
          const random = seededRandom(seed)
          const wire: Uint8Array[] = []
          const tx = new OptimizerSender({
            clock: new FakeClock(),
            send: (d) => wire.push(d),
            code,
            k: K,
            m: 1,
            session: 9,
            autoFlush: false,
          })
          const sent = new Set<string>()
          for (let i = 0; i < 120; i++) {
            const p = i % 2 ? textPacket(30 + i, random) : randomPacket(30 + i, random)
            new DataView(p.buffer).setUint32(0, i) // distinct packets
            sent.add(Buffer.from(p).toString('hex'))
            tx.push(p)
          }
          tx.close()
          // A copy of a valid datagram, renumbered (far, or near its own number), perhaps with
          // other header bytes changed or another body.
          const base = wire[f.pick % wire.length]!
          const bytes = Uint8Array.from(f.tail ? [...base.subarray(0, 16), ...f.tail] : base)
          const view = new DataView(bytes.buffer)
          const own = view.getUint32(12)
          const position = f.position.far ? f.position.value : own + f.position.value
          view.setUint32(12, Math.min(Math.max(position, 0), 0xffffffff))
          for (const h of f.header) if (h.at !== 8 && h.at !== 12) bytes[h.at] = h.value
          const real = new Set<string>()
          const rx = new OptimizerReceiver({
            clock: new FakeClock(),
            deliver: (p) => {
              const key = Buffer.from(p).toString('hex')
              if (sent.has(key)) real.add(key)
            },
          })
          const inject = at % (wire.length + 1)
          wire.forEach((d, i) => {
            if (i === inject) rx.push(bytes)
            rx.push(d)
          })
          if (inject === wire.length) rx.push(bytes)
          // Only as the session's very first datagram can it set the position (the real stream
          // then resyncs back to its own); anywhere else one datagram never resyncs.
          expect(rx.stats.resyncs).toBeLessThanOrEqual(inject === 0 ? 1 : 0)
          expect(real.size).toBeGreaterThanOrEqual(sent.size - K)
          rx.close()
          // Loss counted for it is bounded too (a horizon, or a block's worth).
          expect(rx.stats.unrecoveredPackets).toBeLessThanOrEqual(256)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('never throws on arbitrary bytes behind a valid repair header', () => {
    const repair = validDatagrams(2).find((d) => d[3] === 4)!
    const header = repair.subarray(0, 16)
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1400 }), { maxLength: 8 }), (tails) => {
        const rx = new OptimizerReceiver({ clock: new FakeClock(), deliver: () => {} })
        for (const d of validDatagrams(2)
          .filter((d) => d[3] === 3)
          .slice(0, 3))
          rx.push(d)
        for (const tail of tails) {
          const bytes = new Uint8Array(16 + tail.length)
          bytes.set(header)
          bytes.set(tail, 16)
          rx.push(bytes)
        }
        accounted(rx, 3 + tails.length)
        rx.close()
      }),
      { numRuns: 500 },
    )
  })
})
