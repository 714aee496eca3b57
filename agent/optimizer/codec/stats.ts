/** Plain counters of one sender or receiver, read by metrics at scrape time and by tests. */
import { OPTIMIZER_DROP_REASONS, type OptimizerDropReason } from '../../../protocol/optimizer'

export interface SenderStats {
  /** IP packets pushed and their bytes. */
  packets: number
  bytes: number
  /** Payload bytes after compression (equal to `bytes` when nothing compressed). */
  storedBytes: number
  /** Packets sent LZ4-compressed (the rest were sent raw: compression off or no gain). */
  compressedPackets: number
  dataDatagrams: number
  parityDatagrams: number
  /** Every datagram byte handed to `send` (headers, data and parity). */
  wireBytes: number
  blocks: number
  /** Blocks whose parity was sent at the deadline, before k packets. */
  deadlineFlushes: number
  /** Packets refused because they exceed the optimizer's max packet size. */
  oversized: number
}

export function emptySenderStats(): SenderStats {
  return {
    packets: 0,
    bytes: 0,
    storedBytes: 0,
    compressedPackets: 0,
    dataDatagrams: 0,
    parityDatagrams: 0,
    wireBytes: 0,
    blocks: 0,
    deadlineFlushes: 0,
    oversized: 0,
  }
}

export type DropCounts = Record<OptimizerDropReason, number>

export function emptyDrops(): DropCounts {
  return Object.fromEntries(OPTIMIZER_DROP_REASONS.map((r) => [r, 0])) as DropCounts
}

export interface ReceiverStats {
  datagrams: number
  /**
   * Datagrams that passed parsing and the window; every other datagram is
   * in `drops` (so datagrams = accepted + drops before acceptance). Accepted ones may still be
   * dropped later as inconsistent, bad_shard or decompress_failed.
   */
  accepted: number
  /** IP packets delivered: received data packets plus recovered ones. */
  delivered: number
  deliveredBytes: number
  /** Data packets rebuilt from parity. */
  recovered: number
  /** Blocks given up with data known to be missing (too many losses, or parity never came). */
  unrecoverableBlocks: number
  /** Data packets known lost in those blocks. */
  unrecoveredPackets: number
  /** Parity that arrived after its block was complete or given up (harmless). */
  unusedParity: number
  /**
   * Times a session's numbers jumped far and the decoder started over there, confirmed by
   * consecutive datagrams (a long outage, or a sender restarted under the same id; resync.ts).
   */
  resyncs: number
  /**
   * Wait of recovered packets: from when the packet should have arrived (its predecessor in the
   * block did, or the block's first datagram) until it was rebuilt; sum and max, ms.
   */
  recoveryWaitMsSum: number
  recoveryWaitMsMax: number
  drops: DropCounts
}

export function emptyReceiverStats(): ReceiverStats {
  return {
    datagrams: 0,
    accepted: 0,
    delivered: 0,
    deliveredBytes: 0,
    recovered: 0,
    unrecoverableBlocks: 0,
    unrecoveredPackets: 0,
    unusedParity: 0,
    resyncs: 0,
    recoveryWaitMsSum: 0,
    recoveryWaitMsMax: 0,
    drops: emptyDrops(),
  }
}
