/**
 * Which WireGuard path the optimizer tunnel sends a class's packets over, and how lossy that
 * path is now: both read from the path monitor (its class decisions and its quality probes),
 * so that path selection stays pathmon's and redundancy follows the loss the probes measure.
 * Kept apart from the send path (send.ts) because both answers carry memory of their
 * own: the last path used while none is up, and since when a path has been up.
 */
import type { Clock } from '../../clock'
import { type ClassDecision, DEFAULT_CLASS_ID } from '../../decision'
import { interfaceName } from '../../plan/mesh-plan'

/** What the tunnel reads from the path monitor (PathMonitor satisfies it). */
export interface PathView {
  readonly decisions: readonly ClassDecision[]
  /** Whether a path (`peer/localSlot/remoteSlot`) is up; absent = always trust the loss. */
  isUp?(pathKey: string): boolean
  readonly prober: {
    snapshot(): {
      peerSiteId: string
      localSlot: number
      remoteSlot: number
      loss: Record<'1s' | '10s' | '60s', number | null>
    }[]
  }
}

/** A path: its WireGuard interface and its key (`peer/localSlot/remoteSlot`). */
export interface TunnelPath {
  dev: string
  key: string
}

/** The probes' loss window the redundancy follows (PathQualityStats.loss['10s']). */
const LOSS_WINDOW_MS = 10_000

export class PathTracker {
  readonly #paths: PathView
  readonly #clock: Clock
  readonly #interfacePrefix: string
  #decisionsSeen: readonly ClassDecision[] | undefined
  #pathOf = new Map<string, TunnelPath>()
  readonly #lastPath = new Map<string, TunnelPath>()
  readonly #upSince = new Map<string, number>()

  constructor(paths: PathView, clock: Clock, interfacePrefix: string) {
    this.#paths = paths
    this.#clock = clock
    this.#interfacePrefix = interfacePrefix
  }

  /** The class's current path to the peer, else the default class's, else the last one used. */
  pathFor(classId: string, peerSiteId: string): TunnelPath | undefined {
    const decisions = this.#paths.decisions
    if (decisions !== this.#decisionsSeen) {
      this.#decisionsSeen = decisions
      this.#pathOf = new Map()
      for (const d of decisions) {
        if (!d.path) continue
        this.#pathOf.set(`${d.classId}|${d.peerSiteId}`, {
          dev: interfaceName(this.#interfacePrefix, d.path.localSlot, d.path.remoteSlot),
          key: `${d.peerSiteId}/${d.path.localSlot}/${d.path.remoteSlot}`,
        })
      }
    }
    const key = `${classId}|${peerSiteId}`
    const path = this.#pathOf.get(key) ?? this.#pathOf.get(`${DEFAULT_CLASS_ID}|${peerSiteId}`)
    if (path) {
      this.#lastPath.set(key, path)
      return path
    }
    // No path is up (e.g. BFD timed out under loss): the kernel keeps the class's last route
    // meanwhile, so the plain tunnel keeps sending; the optimizer keeps its last path too.
    return this.#lastPath.get(key)
  }

  /**
   * The path's probe loss, or undefined while it cannot be trusted: a path that is down, or
   * up for less than the loss window, still has in its window the probes lost before it came
   * up (at start, after an outage), which are not the loss its packets meet now.
   */
  lossOf(pathKey: string): number | undefined {
    const isUp = this.#paths.isUp
    if (isUp) {
      const now = this.#clock.now()
      if (!isUp.call(this.#paths, pathKey)) {
        this.#upSince.delete(pathKey)
        return undefined
      }
      const since = this.#upSince.get(pathKey) ?? now
      this.#upSince.set(pathKey, since)
      if (now - since < LOSS_WINDOW_MS) return undefined
    }
    for (const q of this.#paths.prober.snapshot()) {
      if (`${q.peerSiteId}/${q.localSlot}/${q.remoteSlot}` !== pathKey) continue
      return q.loss['10s'] ?? q.loss['1s'] ?? undefined
    }
    return undefined
  }
}
