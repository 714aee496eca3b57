/**
 * Sender and receiver together, on what the receiver keeps apart and refuses: duplicate and
 * replayed datagrams, the block window, restarted peers and concurrent sessions, and its
 * memory bounds. Apart from optimizer.test.ts (the data path: loss recovery, deadline,
 * compression) so each file tests one side of the receiver.
 */
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../clock/fake'
import { OptimizerReceiver } from './receiver'
import { OptimizerSender, type OptimizerSenderConfig } from './sender'

/** A block-code sender whose datagrams collect on `wire`, and a receiver to feed them to. */
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

describe('replay, window and sessions', () => {
  it('drops a duplicate datagram and delivers the packet once', () => {
    const { wire, delivered, rx, tx } = pair({ m: 2 })
    tx.push(new Uint8Array(100))
    rx.push(wire[0]!)
    rx.push(wire[0]!)
    expect(delivered).toHaveLength(1)
    expect(rx.stats.drops.duplicate).toBe(1)
  })

  it('drops the original of a packet already rebuilt from parity as a duplicate', () => {
    const { wire, delivered, rx, tx } = pair({ k: 2, m: 1 })
    tx.push(new Uint8Array(100).fill(1))
    tx.push(new Uint8Array(100).fill(2))
    rx.push(wire[1]!)
    rx.push(wire[2]!)
    expect(rx.stats.recovered).toBe(1)
    rx.push(wire[0]!) // the "lost" one arrives late
    expect(delivered).toHaveLength(2)
    expect(rx.stats.drops.duplicate).toBe(1)
  })

  it('drops datagrams older than the window', () => {
    const { wire, rx, tx } = pair({ k: 2, fec: false }, { windowBlocks: 4 })
    for (let i = 0; i < 20; i++) tx.push(new Uint8Array(50))
    for (const d of wire.slice(8)) rx.push(d) // blocks 4..9
    rx.push(wire[0]!) // block 0: 9 behind the newest
    rx.push(wire[14]!) // block 7: a duplicate inside the window (6..9)
    expect(rx.stats.drops.out_of_window).toBe(1)
    expect(rx.stats.drops.duplicate).toBe(1)
  })

  it('takes a restarted peer (new session, block numbers from 0 again) as new traffic', () => {
    const clock = new FakeClock()
    const delivered: Uint8Array[] = []
    const rx = new OptimizerReceiver({ clock, deliver: (p) => delivered.push(p) })
    const first: Uint8Array[] = []
    const a = new OptimizerSender({
      code: 'block',
      clock,
      send: (d) => first.push(d),
      k: 2,
      session: 1,
    })
    for (let i = 0; i < 4; i++) a.push(new Uint8Array(60))
    for (const d of first) rx.push(d, 'peer:4789')
    const second: Uint8Array[] = []
    const b = new OptimizerSender({
      code: 'block',
      clock,
      send: (d) => second.push(d),
      k: 2,
      session: 2,
    })
    for (let i = 0; i < 4; i++) b.push(new Uint8Array(60))
    for (const d of second) rx.push(d, 'peer:4789')
    expect(delivered).toHaveLength(8)
    expect(rx.stats.drops.duplicate).toBe(0)
    // The old session is still known: a replay of its datagram is caught.
    rx.push(first[0]!, 'peer:4789')
    expect(rx.stats.drops.duplicate).toBe(1)
    expect(delivered).toHaveLength(8)
  })

  it('keeps concurrent senders of one source apart (one per class and path)', () => {
    const clock = new FakeClock()
    const delivered: Uint8Array[] = []
    const rx = new OptimizerReceiver({ clock, deliver: (p) => delivered.push(p) })
    const senders = [7, 8, 9].map(
      (session) =>
        new OptimizerSender({
          code: 'block',
          clock,
          send: (d) => rx.push(d, 'peer:4789'),
          k: 4,
          m: 1,
          session,
        }),
    )
    for (let i = 0; i < 40; i++) senders[i % 3]!.push(new Uint8Array(100))
    expect(delivered).toHaveLength(40)
    expect(Object.values(rx.stats.drops).every((n) => n === 0)).toBe(true)
    expect(rx.sessions).toBe(3)
  })

  it('keeps the sessions of two sources apart even with the same id', () => {
    const clock = new FakeClock()
    const delivered: Uint8Array[] = []
    const rx = new OptimizerReceiver({ clock, deliver: (p) => delivered.push(p) })
    const wire: Uint8Array[] = []
    const tx = new OptimizerSender({
      code: 'block',
      clock,
      send: (d) => wire.push(d),
      k: 2,
      session: 5,
    })
    tx.push(new Uint8Array(60))
    rx.push(wire[0]!, 'a:1')
    rx.push(wire[0]!, 'b:1')
    expect(delivered).toHaveLength(2)
  })

  it('keeps its memory bounded under many sessions and open blocks', () => {
    const clock = new FakeClock()
    const rx = new OptimizerReceiver({
      clock,
      deliver: () => {},
      maxSessions: 4,
      maxOpenBlocks: 8,
    })
    for (let session = 1; session <= 50; session++) {
      let n = 0
      // Each block loses its first data packet and its parity: it stays open, waiting.
      const send = (d: Uint8Array) => {
        if (n++ % 5 !== 0 && n % 5 !== 0) rx.push(d)
      }
      const tx = new OptimizerSender({
        code: 'block',
        clock,
        send,
        k: 4,
        m: 1,
        session,
        autoFlush: false,
      })
      for (let i = 0; i < 4 * 20; i++) tx.push(new Uint8Array(40))
    }
    expect(rx.sessions).toBe(4)
    expect(rx.openBlocks).toBe(4 * 8)
    expect(rx.stats.unrecoverableBlocks).toBe(50 * 20 - 4 * 8)
  })
})
