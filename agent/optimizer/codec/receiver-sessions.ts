/**
 * The receiver's session table: the decoding state of each (source, session id), bounded to
 * `max` sessions, least recently used first out. A source may run several senders at once (one
 * per class and path), so a new session does not end the others; and a restarted sender is a
 * new session (a new random id), so its numbers are never taken for replays of the old one.
 * Kept apart from OptimizerReceiver so that the receiver only parses, dispatches and delivers.
 */
import type { BlockDecoder } from './block-decoder'
import type { SlidingDecoder } from './sliding/decoder'

export interface ReceiverSession {
  key: string
  id: number
  from: string | undefined
  /** The block code's state (window and open blocks). */
  blocks: BlockDecoder
  /** Made at the session's first sliding-window packet. */
  sliding?: SlidingDecoder
}

/** Gives up what a session still waits for (counted by its decoders) before it is dropped. */
export function closeSession(s: ReceiverSession): void {
  s.blocks.close()
  s.sliding?.close()
}

export class SessionTable {
  readonly #max: number
  readonly #newBlockDecoder: () => BlockDecoder
  /** Sessions by source and id, least recently used first (a Map keeps insertion order). */
  readonly #sessions = new Map<string, ReceiverSession>()
  #last: ReceiverSession | undefined

  constructor(max: number, newBlockDecoder: () => BlockDecoder) {
    this.#max = max
    this.#newBlockDecoder = newBlockDecoder
  }

  get size(): number {
    return this.#sessions.size
  }

  values(): IterableIterator<ReceiverSession> {
    return this.#sessions.values()
  }

  /** The session of (from, id), made if new; beyond `max`, the least recently used goes. */
  get(id: number, from: string | undefined): ReceiverSession {
    const last = this.#last
    // Most datagrams come from the session used last: no key, no LRU reinsertion for those.
    if (last && last.id === id && last.from === from) return last
    const key = from === undefined ? String(id) : `${from}|${id}`
    let s = this.#sessions.get(key)
    if (s) {
      this.#sessions.delete(key)
    } else {
      s = { key, id, from, blocks: this.#newBlockDecoder() }
      if (this.#sessions.size >= this.#max) {
        const lru = this.#sessions.values().next().value
        if (lru) this.#forget(lru)
      }
    }
    this.#sessions.set(key, s)
    this.#last = s
    return s
  }

  #forget(s: ReceiverSession): void {
    closeSession(s)
    this.#sessions.delete(s.key)
    if (this.#last === s) this.#last = undefined
  }
}
