/**
 * The real OptimizerSender and OptimizerReceiver (either code) over a simulated lossy link at a
 * fixed packet rate, with a fake clock: the same figures as the packet-level model
 * (bench/wanopt/fec-model.ts) but from the code that runs in the agent, bytes and all.
 */
import { FakeClock } from '../../agent/clock/fake.js'
import { seededRandom, textPacket } from '../../agent/optimizer/codec/testing.js'
import {
  type OptimizerCode,
  OptimizerReceiver,
  OptimizerSender,
} from '../../agent/optimizer/index.js'
import type { LossModel, ModelResult } from './fec-model.js'

export interface RealRunOptions {
  code: OptimizerCode
  packets: number
  intervalMs: number
  k: number
  m: number
  loss: LossModel
  packetBytes?: number
  /** Sliding code's window (default the sender's). */
  window?: number
}

export function realRun(o: RealRunOptions): ModelResult {
  const clock = new FakeClock(0)
  const wire: Uint8Array[] = []
  const deliveredAt = new Map<number, number>()
  const rx = new OptimizerReceiver({
    clock,
    deliver: (p) => {
      const n = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0)
      if (!deliveredAt.has(n)) deliveredAt.set(n, clock.now())
    },
  })
  const tx = new OptimizerSender({
    clock,
    send: (d) => wire.push(d),
    code: o.code,
    k: o.k,
    m: o.m,
    autoFlush: false,
    ...(o.window ? { window: o.window } : {}),
  })
  const random = seededRandom(99)
  const body = textPacket(o.packetBytes ?? 160, random)
  const sentAt: number[] = []
  for (let i = 0; i < o.packets; i++) {
    clock.advance(o.intervalMs)
    tx.tick()
    rx.tick()
    const p = body.slice()
    new DataView(p.buffer).setUint32(0, i)
    sentAt.push(clock.now())
    tx.push(p)
    for (const d of wire.splice(0)) if (!o.loss()) rx.push(d)
  }
  tx.close()
  for (const d of wire.splice(0)) if (!o.loss()) rx.push(d)
  clock.advance(1000)
  rx.tick()
  const recovered: number[] = []
  let arrived = 0
  for (const [n, at] of deliveredAt) {
    const added = at - sentAt[n]!
    if (added === 0) arrived++
    else recovered.push(added)
  }
  recovered.sort((a, b) => a - b)
  const all = new Array<number>(arrived).fill(0).concat(recovered)
  const q = (xs: number[], f: number) => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))] ?? 0
  const delivered = deliveredAt.size
  return {
    packets: o.packets,
    delivered,
    residualLossPct: Math.round(((o.packets - delivered) / o.packets) * 1e6) / 1e4,
    overheadPct: Math.round((tx.stats.parityDatagrams / tx.stats.dataDatagrams) * 1e4) / 100,
    recoveryMs: {
      p50: q(recovered, 0.5),
      p99: q(recovered, 0.99),
      max: recovered[recovered.length - 1] ?? 0,
      count: recovered.length,
    },
    addedLatencyMsP99: q(all, 0.99),
  }
}
