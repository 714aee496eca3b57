/**
 * In-memory platform for path monitor tests (no root, no sockets, no kernel), beside the
 * agent's MemoryRouting (agent/routing/memory.ts): an underlay that carries BFD and quality probes between uplink addresses and
 * can cut a link, a WireGuard backend that reports live tunnels, a clock wrapper that
 * counts outstanding sleeps, and a logger whose lines a test can read.
 */
import type { Clock } from '../clock'
import { createLogger, type Logger } from '../logger'
import type { BfdTransport, Remote } from '../probes/bfd'
import { MemoryNetwork, type ProbeSocketFactory } from '../probes/quality'
import type { WireGuardBackend, WireGuardDeviceState } from '../tunnels/types'
import type { OpenTransport } from './bfd-set'

/**
 * The WAN between uplink addresses, for BFD (`openBfd`) and the quality probes
 * (`probeSockets`). Delivery is a microtask; a cut link drops both ways. `failClose` makes
 * every BFD transport's close reject (a shutdown step that throws).
 */
export class MemoryUnderlay {
  readonly #bfd = new Map<string, (packet: Buffer, from: Remote) => void>()
  readonly #cut = new Set<string>()
  readonly probeSockets: MemoryNetwork & ProbeSocketFactory
  failClose: string | undefined

  constructor(clock: Clock) {
    this.probeSockets = new MemoryNetwork({
      clock,
      drop: (d) => this.isCut(d.from.address, d.to.address),
    })
  }

  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b))
  }

  heal(a: string, b: string): void {
    this.#cut.delete(linkKey(a, b))
  }

  isCut(a: string, b: string): boolean {
    return this.#cut.has(linkKey(a, b))
  }

  /** Addresses with an open BFD transport. */
  get bfdBound(): string[] {
    return [...this.#bfd.keys()].sort()
  }

  readonly openBfd: OpenTransport = async (localAddress) => {
    if (this.#bfd.has(localAddress)) throw new Error(`bfd on ${localAddress}: address in use`)
    this.#bfd.set(localAddress, () => {})
    const transport: BfdTransport = {
      send: (packet, to) => {
        if (this.isCut(localAddress, to.address)) return
        const copy = Buffer.from(packet)
        queueMicrotask(() =>
          this.#bfd.get(to.address)?.(copy, { address: localAddress, port: 49152 }),
        )
      },
      onPacket: (handler) => {
        this.#bfd.set(localAddress, handler)
      },
      close: async () => {
        this.#bfd.delete(localAddress)
        if (this.failClose !== undefined) throw new Error(this.failClose)
      },
    }
    return transport
  }
}

const linkKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`)

/**
 * A WireGuard backend that knows, per interface, the peers with a session and their last
 * handshake; `get` of an interface it does not know fails like a missing device.
 */
export class FakeWireGuard implements Pick<WireGuardBackend, 'get'> {
  readonly #devices = new Map<string, Map<string, number>>()

  /** The interface exists with these peers, last handshake at `handshakeMs`. */
  setPeers(ifname: string, publicKeys: readonly string[], handshakeMs: number): void {
    this.#devices.set(ifname, new Map(publicKeys.map((k) => [k, handshakeMs])))
  }

  remove(ifname: string): void {
    this.#devices.delete(ifname)
  }

  async get(ifname: string): Promise<WireGuardDeviceState> {
    const peers = this.#devices.get(ifname)
    if (!peers) throw new Error(`wireguard ${ifname}: no such device`)
    return {
      listenPort: 0,
      fwmark: 0,
      peers: [...peers].map(([publicKey, lastHandshakeMs]) => ({
        publicKey,
        allowedIps: [],
        persistentKeepalive: 0,
        lastHandshakeMs,
        rxBytes: 0n,
        txBytes: 0n,
      })),
    }
  }
}

/** A view of `clock` that counts its own sleeps still pending (timers a component left). */
export function countingClock(clock: Clock): Clock & { readonly pending: number } {
  let pending = 0
  return {
    now: () => clock.now(),
    async sleep(ms, signal) {
      pending++
      try {
        await clock.sleep(ms, signal)
      } finally {
        pending--
      }
    },
    get pending() {
      return pending
    },
  }
}

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A debug-level logger whose parsed lines are kept in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = createLogger('debug', {
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine)
    },
  })
  return { logger, lines }
}
