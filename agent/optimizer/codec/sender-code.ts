/**
 * The contract between OptimizerSender and the FEC code it runs: the sender keeps what both
 * codes share (options, compression, stats, the one deadline timer) and hands each stored
 * packet to its code, which frames it, sends it and sends the protection it owes. Two codes
 * implement it: BlockEncoder (block-encoder.ts) and SlidingStreamEncoder
 * (sliding-stream-encoder.ts); a sender runs one of them for its whole life.
 */
import type { Clock } from '../../clock'
import type { SenderStats } from './stats'

/** What the sender gives its code. */
export interface SenderCodeHost {
  readonly clock: Clock
  /** The sender's stats: the code counts the datagrams, blocks and deadline flushes. */
  readonly stats: SenderStats
  /** Data packets per block (block code) or per k/m repairs (sliding code). */
  readonly k: number
  /** Parity packets per k data packets in use now (0 with FEC off or no redundancy). */
  readonly redundancy: number
  send(datagram: Uint8Array): void
  /** Asks for a tick() at `dueAt`; the sender keeps one timer, armed at most once. */
  armTimer(): void
}

/** What the sender asks of its code. */
export interface SenderCode {
  /** The session id on the wire (a code starts a new one when its numbers would wrap). */
  readonly session: number
  /** Whether protection is owed to packets already sent (the timer then fires again). */
  readonly pending: boolean
  /** When the protection owed is due, ms on the host's clock (meaningful while pending). */
  readonly dueAt: number
  /** Sends one stored (maybe compressed) packet at once, and any protection it completes. */
  push(stored: Uint8Array, compressed: boolean): void
  /** Sends the protection whose deadline has passed. */
  tick(): void
  /** Sends all the protection owed now (FEC turned on or off, close). */
  flush(): void
  /** Redundancy went from none to some: what was planned without protection is closed. */
  redundancyOn(): void
}
