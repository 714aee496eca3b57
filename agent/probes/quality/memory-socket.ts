/**
 * An in-memory datagram network for tests: sockets bound on it reach each other by (address,
 * port); delivery is asynchronous (a microtask, or after `delayMs` on the injected clock), and
 * a test can drop, delay or forge datagrams. Nothing here touches the host network.
 */
import type { Clock } from '../../clock'
import type { BindOptions, ProbeSocket, ProbeSocketFactory, Remote } from './socket'

export interface Datagram {
  from: Remote
  to: Remote
  bytes: Uint8Array
}

export interface MemoryNetworkOptions {
  clock: Clock
  /** One-way delay of a datagram, ms (0 = next microtask). */
  delayMs?: (d: Datagram) => number
  /** True to drop the datagram. */
  drop?: (d: Datagram) => boolean
}

export class MemoryNetwork implements ProbeSocketFactory {
  readonly #sockets = new Map<string, BindOptions>()
  #nextPort = 40_000
  readonly options: MemoryNetworkOptions
  /** Datagrams sent, in order (for assertions). */
  readonly sent: Datagram[] = []

  constructor(options: MemoryNetworkOptions) {
    this.options = options
  }

  async bind(options: BindOptions): Promise<ProbeSocket> {
    const port = options.port === 0 ? this.#nextPort++ : options.port
    const local = { address: options.address, port }
    const key = `${local.address}:${port}`
    if (this.#sockets.has(key)) throw new Error(`bind probe socket ${key}: address in use`)
    this.#sockets.set(key, options)
    let closed = false
    return {
      local,
      send: (bytes, to) => {
        if (!closed) this.inject({ from: local, to, bytes: bytes.slice() })
      },
      close: async () => {
        closed = true
        this.#sockets.delete(key)
      },
    }
  }

  /** Sends a datagram as if from `d.from` (forged packets, replays). */
  inject(d: Datagram): void {
    this.sent.push(d)
    if (this.options.drop?.(d)) return
    const deliver = () =>
      this.#sockets.get(`${d.to.address}:${d.to.port}`)?.onMessage(d.bytes, d.from)
    const delay = this.options.delayMs?.(d) ?? 0
    if (delay > 0) void this.options.clock.sleep(delay).then(deliver)
    else queueMicrotask(deliver)
  }
}
