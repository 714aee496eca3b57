/**
 * One BFD session per monitored path, over RFC 5883 multihop (UDP 4784) between uplink
 * addresses. Why multihop: the underlay of a path crosses the WAN, and in the lab it
 * crosses a router that decrements TTL, so RFC 5881's single-hop GTSM rule (TTL 255 on
 * receipt) can never hold, and our receive side cannot read TTLs anyway (transport.ts).
 * Sessions are keyed SHA1 (RFC 5880 sec. 6.7.4) with the site pair's derived password.
 * One endpoint (socket pair) per local uplink address; kept paths keep their sessions
 * across reconfigs.
 */
import type { Clock } from '../clock'
import {
  BfdEndpoint,
  type BfdSession,
  type BfdTransport,
  type EndpointSnapshot,
  openUdpTransport,
  type SessionParameters,
  type StateChange,
  timersFromClock,
} from '../probes/bfd'
import { deriveBfdPassword } from '../probes/keys'
import type { PathTarget } from './targets'

export type OpenTransport = (localAddress: string) => Promise<BfdTransport>

export const udpMultihop: OpenTransport = (localAddress) =>
  openUdpTransport({ localAddress, multihop: true })

interface Entry {
  target: PathTarget
  password: string
  params: string
  session: BfdSession
  endpoint: BfdEndpoint
}

export interface BfdSetOptions {
  clock: Clock
  privateKey: string
  open?: OpenTransport
  onChange(key: string, change: StateChange): void
  onError?(message: string): void
}

export class BfdSet {
  readonly #o: BfdSetOptions
  readonly #endpoints = new Map<string, BfdEndpoint>()
  readonly #entries = new Map<string, Entry>()

  constructor(options: BfdSetOptions) {
    this.#o = options
  }

  async reconfig(targets: readonly PathTarget[], params: SessionParameters): Promise<void> {
    const wanted = new Map(targets.map((t) => [t.key, t]))
    for (const [key, e] of this.#entries) {
      const t = wanted.get(key)
      const same =
        t &&
        t.localAddress === e.target.localAddress &&
        t.remoteAddress === e.target.remoteAddress &&
        t.peerPublicKey === e.target.peerPublicKey
      if (!same) {
        e.endpoint.removeSession(e.session)
        this.#entries.delete(key)
      }
    }
    for (const [address, endpoint] of this.#endpoints) {
      if (targets.some((t) => t.localAddress === address)) continue
      this.#endpoints.delete(address)
      await endpoint.close()
    }
    for (const t of targets) {
      const kept = this.#entries.get(t.key)
      if (kept) {
        kept.target = t
        const text = JSON.stringify(params)
        if (kept.params !== text) kept.session.setParameters(params)
        kept.params = text
        continue
      }
      const endpoint = await this.#endpoint(t.localAddress)
      if (!endpoint) continue
      const password = deriveBfdPassword(this.#o.privateKey, t.peerPublicKey)
      const session = endpoint.addSession({
        peerAddress: t.remoteAddress,
        ...params,
        auth: { mode: 'keyed-sha1', keyId: 1, key: password },
      })
      session.on('state', (change) => this.#o.onChange(t.key, change))
      this.#entries.set(t.key, {
        target: t,
        password,
        params: JSON.stringify(params),
        session,
        endpoint,
      })
    }
  }

  isUp(key: string): boolean {
    return this.#entries.get(key)?.session.state === 'Up'
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  snapshots(): { localAddress: string; snapshot: EndpointSnapshot }[] {
    return [...this.#endpoints].map(([localAddress, e]) => ({
      localAddress,
      snapshot: e.snapshot(),
    }))
  }

  /** Path key of each session (for per-path metrics). */
  sessions(): { key: string; target: PathTarget; session: BfdSession }[] {
    return [...this.#entries].map(([key, e]) => ({ key, target: e.target, session: e.session }))
  }

  async close(): Promise<void> {
    this.#entries.clear()
    const all = [...this.#endpoints.values()]
    this.#endpoints.clear()
    await Promise.all(all.map((e) => e.close()))
  }

  async #endpoint(address: string): Promise<BfdEndpoint | undefined> {
    const existing = this.#endpoints.get(address)
    if (existing) return existing
    try {
      const transport = await (this.#o.open ?? udpMultihop)(address)
      const endpoint = new BfdEndpoint({
        transport,
        clock: timersFromClock(this.#o.clock),
        multihop: true,
      })
      this.#endpoints.set(address, endpoint)
      return endpoint
    } catch (error) {
      // Retried at the next reconfig; the path stays down meanwhile.
      this.#o.onError?.(`bfd on ${address}: ${(error as Error).message}`)
      return undefined
    }
  }
}
