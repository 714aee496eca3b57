/**
 * Tunnel liveness of each path, read from the WireGuard backend (UAPI `get` for
 * wireguard-go): a path's tunnel is down when its interface is gone, or when the peer has
 * not completed a handshake within REJECT_AFTER_TIME (180 s, the WireGuard paper sec. 6.1:
 * past it a session's keys are unusable) plus a margin. A tunnel that never handshook is
 * given the same time from when the watch first saw it, so a fresh mesh is not down at
 * start. BFD is the fast detector; this catches a tunnel whose underlay answers BFD but
 * whose WireGuard session is dead (wrong key, stuck peer).
 */
import type { Clock } from '../clock'
import type { WireGuardBackend } from '../tunnels/types'
import type { PathTarget } from './targets'

export const HANDSHAKE_WINDOW_MS = 180_000
export const HANDSHAKE_MARGIN_MS = 15_000

interface Seen {
  present: boolean
  /** Epoch ms: last handshake, or when first seen without one. */
  freshAt: number
}

export class TunnelWatch {
  readonly #seen = new Map<string, Seen>()
  #firstSeen = new Map<string, number>()

  constructor(
    private readonly backend: Pick<WireGuardBackend, 'get'>,
    private readonly clock: Clock,
  ) {}

  /** Reads every interface of the targets once; returns the keys whose liveness changed. */
  async poll(targets: readonly PathTarget[]): Promise<string[]> {
    const now = this.clock.now()
    const byIf = new Map<string, PathTarget[]>()
    for (const t of targets) byIf.set(t.ifname, [...(byIf.get(t.ifname) ?? []), t])
    const changed: string[] = []
    const keep = new Set(targets.map((t) => t.key))
    for (const key of [...this.#seen.keys()]) if (!keep.has(key)) this.#seen.delete(key)
    for (const key of [...this.#firstSeen.keys()]) if (!keep.has(key)) this.#firstSeen.delete(key)
    for (const [ifname, list] of byIf) {
      let peers: Map<string, number> | undefined
      try {
        const state = await this.backend.get(ifname)
        peers = new Map(state.peers.map((p) => [p.publicKey, p.lastHandshakeMs]))
      } catch {
        peers = undefined
      }
      for (const t of list) {
        const before = this.isUp(t.key, now)
        const first = this.#firstSeen.get(t.key) ?? now
        this.#firstSeen.set(t.key, first)
        const handshake = peers?.get(t.peerPublicKey)
        this.#seen.set(t.key, {
          present: peers !== undefined && handshake !== undefined,
          freshAt: Math.max(handshake ?? 0, first),
        })
        if (before !== this.isUp(t.key, now)) changed.push(t.key)
      }
    }
    return changed
  }

  /** Up until proven otherwise (unknown = up: BFD decides until the watch has read). */
  isUp(key: string, now = this.clock.now()): boolean {
    const s = this.#seen.get(key)
    if (!s) return true
    return s.present && now - s.freshAt <= HANDSHAKE_WINDOW_MS + HANDSHAKE_MARGIN_MS
  }
}
