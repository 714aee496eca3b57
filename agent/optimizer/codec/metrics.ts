/**
 * The WAN optimizer's metrics on the agent's /metrics, per path (`path` label, the label the
 * owner gives each sender and receiver). Senders and receivers keep plain counters (no
 * prom-client call per packet: the optimizer runs at 100k+ packets/s); this pulls them at
 * scrape time. A closed sender or receiver is folded into per-path totals, so counters never go
 * back. Recovery wait (the latency FEC adds to a rebuilt packet) is a histogram, observed per
 * recovered packet only (the others are delivered as they arrive, adding nothing).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { OPTIMIZER_DROP_REASONS } from '../../../protocol/optimizer'
import type { OptimizerReceiver } from './receiver'
import type { OptimizerSender } from './sender'
import { emptyReceiverStats, emptySenderStats, type ReceiverStats, type SenderStats } from './stats'

export const OPTIMIZER_METRIC_PREFIX = 'patronus_agent_wanopt_'

/** Recovery wait buckets, seconds: 0.5 ms to 100 ms. */
const WAIT_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1]

export class OptimizerMetrics {
  readonly #senders = new Set<OptimizerSender>()
  readonly #receivers = new Set<OptimizerReceiver>()
  readonly #closedSenders = new Map<string, SenderStats>()
  readonly #closedReceivers = new Map<string, ReceiverStats>()
  readonly #wait: Histogram<'path'>

  constructor(registry: Registry) {
    const registers = [registry]
    // Metric `collect()` runs with `this` = the metric, so the sources are captured here.
    const senderTotals = () => this.senderTotals()
    const receiverTotals = () => this.receiverTotals()
    const openSenders = this.#senders
    const senderCounter = (name: string, help: string, pick: (s: SenderStats) => number) =>
      new Counter({
        name: OPTIMIZER_METRIC_PREFIX + name,
        help,
        labelNames: ['path'],
        registers,
        collect() {
          this.reset()
          for (const [path, s] of senderTotals()) this.inc({ path }, pick(s))
        },
      })
    const receiverCounter = (name: string, help: string, pick: (s: ReceiverStats) => number) =>
      new Counter({
        name: OPTIMIZER_METRIC_PREFIX + name,
        help,
        labelNames: ['path'],
        registers,
        collect() {
          this.reset()
          for (const [path, s] of receiverTotals()) this.inc({ path }, pick(s))
        },
      })
    senderCounter('packets_total', 'IP packets sent through the optimizer', (s) => s.packets)
    senderCounter(
      'payload_bytes_total',
      'IP packet bytes sent through the optimizer',
      (s) => s.bytes,
    )
    senderCounter(
      'wire_bytes_total',
      'Optimizer datagram bytes sent (headers, data and parity)',
      (s) => s.wireBytes,
    )
    senderCounter('parity_packets_total', 'FEC parity datagrams sent', (s) => s.parityDatagrams)
    senderCounter(
      'compressed_packets_total',
      'IP packets sent LZ4-compressed (the rest gained nothing and went raw)',
      (s) => s.compressedPackets,
    )
    senderCounter(
      'bytes_saved_total',
      'Payload bytes saved by compression',
      (s) => s.bytes - s.storedBytes,
    )
    senderCounter(
      'deadline_flushes_total',
      'FEC blocks whose parity went out at the deadline, before k packets',
      (s) => s.deadlineFlushes,
    )
    receiverCounter('delivered_packets_total', 'IP packets delivered', (s) => s.delivered)
    receiverCounter(
      'recovered_packets_total',
      'Lost IP packets rebuilt from FEC parity',
      (s) => s.recovered,
    )
    receiverCounter(
      'unrecoverable_blocks_total',
      'FEC blocks given up with data missing (more losses than parity, or parity lost)',
      (s) => s.unrecoverableBlocks,
    )
    receiverCounter(
      'unrecovered_packets_total',
      'IP packets known lost in unrecoverable blocks',
      (s) => s.unrecoveredPackets,
    )
    receiverCounter(
      'resyncs_total',
      'Sessions started over at a far sequence number confirmed by 3 datagrams in a row',
      (s) => s.resyncs,
    )
    new Counter({
      name: `${OPTIMIZER_METRIC_PREFIX}dropped_total`,
      help: 'Optimizer datagrams dropped, by reason',
      labelNames: ['path', 'reason'],
      registers,
      collect() {
        this.reset()
        for (const [path, s] of receiverTotals()) {
          for (const reason of OPTIMIZER_DROP_REASONS) {
            if (s.drops[reason] > 0) this.inc({ path, reason }, s.drops[reason])
          }
        }
      },
    })
    new Gauge({
      name: `${OPTIMIZER_METRIC_PREFIX}compression_ratio`,
      help: 'Compressed over original payload bytes (1 = nothing gained)',
      labelNames: ['path'],
      registers,
      collect() {
        this.reset()
        for (const [path, s] of senderTotals()) {
          if (s.bytes > 0) this.set({ path }, s.storedBytes / s.bytes)
        }
      },
    })
    new Gauge({
      name: `${OPTIMIZER_METRIC_PREFIX}redundancy_ratio`,
      help: 'FEC parity per data packet in use (m / k), per open sender',
      labelNames: ['path'],
      registers,
      collect() {
        this.reset()
        for (const s of openSenders) this.set({ path: s.pathLabel }, s.redundancy / s.k)
      },
    })
    this.#wait = new Histogram({
      name: `${OPTIMIZER_METRIC_PREFIX}recovery_wait_seconds`,
      help: 'Latency FEC added to each recovered packet (from its expected arrival to rebuild)',
      labelNames: ['path'],
      buckets: WAIT_BUCKETS,
      registers,
    })
  }

  attachSender(s: OptimizerSender): void {
    this.#senders.add(s)
  }

  detachSender(s: OptimizerSender): void {
    if (!this.#senders.delete(s)) return
    const total = this.#closedSenders.get(s.pathLabel) ?? emptySenderStats()
    addInto(total, s.stats)
    this.#closedSenders.set(s.pathLabel, total)
  }

  attachReceiver(r: OptimizerReceiver): void {
    this.#receivers.add(r)
  }

  detachReceiver(r: OptimizerReceiver): void {
    if (!this.#receivers.delete(r)) return
    const total = this.#closedReceivers.get(r.pathLabel) ?? emptyReceiverStats()
    addReceiverInto(total, r.stats)
    this.#closedReceivers.set(r.pathLabel, total)
  }

  observeRecoveryWait(path: string, ms: number): void {
    this.#wait.observe({ path }, ms / 1000)
  }

  /** Per path: closed totals plus every open sender's counters. */
  senderTotals(): Map<string, SenderStats> {
    const out = new Map<string, SenderStats>()
    for (const [path, s] of this.#closedSenders) addInto(slot(out, path, emptySenderStats), s)
    for (const s of this.#senders) addInto(slot(out, s.pathLabel, emptySenderStats), s.stats)
    return out
  }

  receiverTotals(): Map<string, ReceiverStats> {
    const out = new Map<string, ReceiverStats>()
    for (const [path, r] of this.#closedReceivers) {
      addReceiverInto(slot(out, path, emptyReceiverStats), r)
    }
    for (const r of this.#receivers) {
      addReceiverInto(slot(out, r.pathLabel, emptyReceiverStats), r.stats)
    }
    return out
  }
}

function slot<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key)
  if (!v) {
    v = make()
    map.set(key, v)
  }
  return v
}

function addInto(total: SenderStats, s: Readonly<SenderStats>): void {
  for (const key of Object.keys(total) as (keyof SenderStats)[]) total[key] += s[key]
}

function addReceiverInto(total: ReceiverStats, r: Readonly<ReceiverStats>): void {
  for (const key of Object.keys(total) as (keyof ReceiverStats)[]) {
    if (key === 'drops') {
      for (const reason of OPTIMIZER_DROP_REASONS) total.drops[reason] += r.drops[reason]
    } else if (key === 'recoveryWaitMsMax') {
      total[key] = Math.max(total[key], r[key])
    } else {
      total[key] += r[key]
    }
  }
}
