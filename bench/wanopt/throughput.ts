/**
 * The WAN optimizer's per-core throughput: sender and receiver in one thread (no sockets),
 * 1,000-byte packets, half text-like (compressible) and half random (not), with FEC at the 5%
 * setting (k = 25, m = 1) and compression on. Compared in the same run, alternating rounds
 * (bench/wasm/measure.ts), with:
 * - baseline: the same sender and receiver with FEC and compression off (framing, window and
 *   copies only), i.e. what the optimizer costs over a plain tunnel of its own;
 * - copy: one copy of each packet (Node's pooled allocator, as the optimizer's datagrams use),
 *   the floor any userspace forwarder pays;
 * - recovery: the optimizer at the same setting losing one data packet per block, so every
 *   block is rebuilt from parity (the receiver's worst steady case at that setting).
 * The sliding-window code (the default) is measured too, at its 20% level (a repair over the
 * last 32 packets every 5 packets: the level 5% loss selects, and its most expensive), without
 * loss and losing one source packet in 25 (each rebuilt from the next repair).
 * `bench/wanopt.ts` (the lab benchmark) calls `measureThroughput`; run alone, this prints JSON:
 * `npx tsx bench/wanopt/throughput.ts`.
 */
import { pathToFileURL } from 'node:url'
import { DEFAULT_SLIDING_WINDOW } from '../../agent/optimizer/codec/sliding/index.js'
import { randomPacket, seededRandom, textPacket } from '../../agent/optimizer/codec/testing.js'
import {
  type OptimizerCode,
  OptimizerReceiver,
  OptimizerSender,
  parityFor,
} from '../../agent/optimizer/index.js'
import { race } from '../wasm/measure.js'

export const PACKET_BYTES = 1000
const BATCH = 1000
const POOL = 64

export interface Rate {
  pps: number
  mbps: number
}

export interface ThroughputFigures {
  packetBytes: number
  k: number
  m: number
  /** Sender + receiver, FEC (k, m) and compression on, mixed data. */
  optimizer: Rate
  /** Same with FEC and compression off. */
  baseline: Rate
  /** One packet copy, no optimizer. */
  copy: Rate
  /** Optimizer with one data packet lost per block, rebuilt from parity. */
  recovery: Rate
  /** The sliding-window code: repair every `slidingEvery` packets over the last `slidingWindow`. */
  sliding: Rate
  slidingRecovery: Rate
  slidingEvery: number
  slidingWindow: number
  slidingGoalMet: boolean
  /**
   * Packets per second of this process's CPU time (user + system, best of 3 x 20,000 packets),
   * block (k = 25, m = 1) and sliding (20%): on a shared machine wall-clock rates fall with
   * other jobs' load, CPU time much less, so this is the steadier per-core figure.
   */
  cpuPps: { optimizer: number; sliding: number }
  /** Optimizer pps over baseline pps. */
  optimizerOverBaseline: number
  /** Datagram bytes over payload bytes for the mixed data (headers + parity - compression). */
  wireOverPayload: number
  goalPps: number
  goalMet: boolean
}

/** Time for a codec that is never left waiting: no timers, blocks close at k packets. */
const benchClock = {
  now: () => performance.now(),
  sleep: () => Promise.resolve(),
}

function mixedPackets(): Uint8Array[] {
  const random = seededRandom(2026)
  return Array.from({ length: POOL }, (_, i) =>
    i % 2 ? textPacket(PACKET_BYTES, random) : randomPacket(PACKET_BYTES, random),
  )
}

interface Pipe {
  op: () => void
  sender: OptimizerSender
  receiver: OptimizerReceiver
  delivered: () => number
}

/**
 * A sender feeding a receiver directly; `loseIndex` drops that data index of each block (block
 * code) or the source packets numbered loseIndex modulo k (sliding code).
 */
function pipe(
  fec: boolean,
  compression: boolean,
  k: number,
  m: number,
  loseIndex = -1,
  code: OptimizerCode = 'block',
): Pipe {
  const packets = mixedPackets()
  let delivered = 0
  const receiver = new OptimizerReceiver({
    clock: benchClock,
    // Codec cost only: a scheduler pause on this shared machine must not expire a block.
    deadlineMs: 60_000,
    deliver: () => {
      delivered++
    },
  })
  let index = 0
  const sender = new OptimizerSender({
    clock: benchClock,
    k,
    m,
    fec,
    compression,
    autoFlush: false,
    code,
    send: (d) => {
      // Byte 3 is the type (1 = data, 3 = source) and byte 7 the index in the block, bytes
      // 12-15 a source's number (protocol/optimizer.ts).
      if (loseIndex >= 0 && d[3] === 1 && d[7] === loseIndex) return
      if (loseIndex >= 0 && d[3] === 3 && sourceNumber(d) % k === loseIndex) return
      receiver.push(d)
    },
  })
  return {
    sender,
    receiver,
    delivered: () => delivered,
    op: () => {
      for (let i = 0; i < BATCH; i++) {
        sender.push(packets[index]!)
        index = (index + 1) % POOL
      }
    },
  }
}

function sourceNumber(d: Uint8Array): number {
  return ((d[12]! << 24) | (d[13]! << 16) | (d[14]! << 8) | d[15]!) >>> 0
}

/** Best of three: BATCH packets per call, 20 calls, per second of process CPU time. */
function cpuRate(op: () => void): number {
  let best = 0
  for (let round = 0; round < 3; round++) {
    const start = process.cpuUsage()
    for (let i = 0; i < 20; i++) op()
    const used = process.cpuUsage(start)
    best = Math.max(best, (20 * BATCH) / ((used.user + used.system) / 1e6))
  }
  return Math.round(best)
}

function rate(pps: number): Rate {
  return { pps: Math.round(pps), mbps: Math.round((pps * PACKET_BYTES * 8) / 1e5) / 10 }
}

export async function measureThroughput(roundMs = 400): Promise<ThroughputFigures> {
  const k = 25
  const m = parityFor(0.05, k)
  const optimizer = pipe(true, true, k, m)
  const baseline = pipe(false, false, k, m)
  const recovery = pipe(true, true, k, m, 3)
  const slidingM = parityFor(0.2, k)
  const sliding = pipe(true, true, k, slidingM, -1, 'sliding')
  const slidingRecovery = pipe(true, true, k, slidingM, 3, 'sliding')
  const packets = mixedPackets()
  let sink = 0
  let at = 0
  const copy = () => {
    for (let i = 0; i < BATCH; i++) {
      sink += Buffer.from(packets[at]!)[0]!
      at = (at + 1) % POOL
    }
  }
  const cpuPps = { optimizer: cpuRate(optimizer.op), sliding: cpuRate(sliding.op) }
  const best = await race(
    [
      { name: 'optimizer', op: optimizer.op, units: BATCH },
      { name: 'baseline', op: baseline.op, units: BATCH },
      { name: 'copy', op: copy, units: BATCH },
      { name: 'recovery', op: recovery.op, units: BATCH },
      { name: 'sliding', op: sliding.op, units: BATCH },
      { name: 'slidingRecovery', op: slidingRecovery.op, units: BATCH },
    ],
    roundMs,
  )
  // The pipes must have delivered everything they were given (the bench measures real work).
  for (const [name, p] of Object.entries({
    optimizer,
    baseline,
    recovery,
    sliding,
    slidingRecovery,
  })) {
    p.sender.close()
    if (p.delivered() !== p.sender.stats.packets || p.receiver.stats.drops.duplicate > 0) {
      throw new Error(
        `wanopt throughput: ${name} delivered ${p.delivered()} of ${p.sender.stats.packets}: ${JSON.stringify(p.receiver.stats)}`,
      )
    }
  }
  if (recovery.receiver.stats.recovered === 0 || slidingRecovery.receiver.stats.recovered === 0) {
    throw new Error('wanopt throughput: a recovery pipe rebuilt nothing')
  }
  if (sink < 0) throw new Error('unreachable') // keeps the copies from being optimised away
  const s = optimizer.sender.stats
  const pps = best.optimizer!
  return {
    packetBytes: PACKET_BYTES,
    k,
    m,
    optimizer: rate(pps),
    baseline: rate(best.baseline!),
    copy: rate(best.copy!),
    recovery: rate(best.recovery!),
    sliding: rate(best.sliding!),
    slidingRecovery: rate(best.slidingRecovery!),
    slidingEvery: k / slidingM,
    slidingWindow: sliding.sender.code === 'sliding' ? DEFAULT_SLIDING_WINDOW : 0,
    slidingGoalMet: best.sliding! >= 100_000,
    cpuPps,
    optimizerOverBaseline: Math.round((pps / best.baseline!) * 100) / 100,
    wireOverPayload: Math.round((s.wireBytes / s.bytes) * 1000) / 1000,
    goalPps: 100_000,
    goalMet: pps >= 100_000,
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await measureThroughput(), null, 2))
}
