/**
 * Measuring every path of the desired state (the path monitor's first part): per path a BFD
 * session (bfd-set.ts), a quality prober entry (with the responder answering the peer's
 * probes) and tunnel liveness (liveness.ts). What it produces is the state of each path
 * key: up when its BFD session is Up and its tunnel is alive. It decides nothing: changes
 * are handed to the owner (onBfdChange, onTunnelChange), which re-evaluates.
 *
 * The platform is injected: BFD transports (`openBfd`), the probes' UDP sockets
 * (`probeSockets`), the WireGuard backend, the routing (prod reads uplink addresses from
 * it) and the clock; the defaults are the real sockets.
 */
import type { DesiredState } from '../../protocol/agent'
import type { Clock } from '../clock'
import type { Logger } from '../logger'
import type { SessionParameters, StateChange } from '../probes/bfd'
import { deriveQualityKey } from '../probes/keys'
import {
  type PathQuality,
  type ProbePathRef,
  type ProbeSocketFactory,
  QUALITY_PROBE_PORT,
  QualityProber,
  QualityResponder,
  udpSocketFactory,
} from '../probes/quality'
import type { Routing } from '../routing/types'
import type { WireGuardBackend } from '../tunnels/types'
import { BfdSet, type OpenTransport } from './bfd-set'
import { closeAll } from './close-all'
import { TunnelWatch } from './liveness'
import type { ProbeOutcome } from './predictions'
import { type PathTarget, pathTargets } from './targets'

export const TUNNEL_POLL_MS = 1_000

/** A path's liveness and the two detectors it is made of. */
export interface PathState {
  up: boolean
  bfd: 'up' | 'down'
  tunnel: 'up' | 'down'
}

/** A BFD session's verdict: `unknown` until it has been Up once (no result yet). */
export type BfdVerdict = 'up' | 'down' | 'unknown'

export interface PathMeasurementOptions {
  clock: Clock
  /** prod reads each uplink's address from its interface. */
  routing: Pick<Routing, 'addresses'>
  backend: Pick<WireGuardBackend, 'get'>
  /** The site's WireGuard private key (base64): BFD and probe keys derive from it. */
  privateKey: string
  interfacePrefix: string
  /** lab: an uplink's address is its endpointHost; prod: read from the interface. */
  mode: 'lab' | 'prod'
  logger: Logger
  /** Overrides of the desired state's BFD settings (the lab's 50 ms x 3). */
  bfd?: { intervalMs?: number | undefined; multiplier?: number | undefined }
  probePort?: number
  openBfd?: OpenTransport
  probeSockets?: ProbeSocketFactory
  /** The set of monitored paths changed (called before any session of a new path starts). */
  onTargets(keys: readonly string[]): void
  onBfdChange(key: string, change: StateChange): void
  /** Tunnel liveness changed on these paths; awaited before the next poll. */
  onTunnelChange(keys: readonly string[]): Promise<void>
  /** Every probe outcome (reply or declared loss). */
  onProbeOutcome(key: string, outcome: ProbeOutcome): void
  /** Every accepted probe reply's RTT. */
  onRtt(path: ProbePathRef, rttMs: number): void
}

const keyOf = (p: ProbePathRef) => `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

export class PathMeasurement {
  readonly #o: PathMeasurementOptions
  readonly #bfd: BfdSet
  readonly #tunnels: TunnelWatch
  readonly #prober: QualityProber
  readonly #responder: QualityResponder
  #targets: PathTarget[] = []
  #qualityKeys = new Map<string, Uint8Array>()
  #probeIntervalMs = 1000
  /** Keys whose BFD session has produced a result (went Up at least once). */
  readonly #bfdResult = new Set<string>()
  readonly #skippedLogged = new Set<string>()

  constructor(options: PathMeasurementOptions) {
    this.#o = options
    const log = options.logger
    const onError = (e: Error) => log.debug({ err: e.message }, 'probe socket')
    this.#bfd = new BfdSet({
      clock: options.clock,
      privateKey: options.privateKey,
      ...(options.openBfd ? { open: options.openBfd } : {}),
      onChange: (key, change) => this.#onBfd(key, change),
      onError: (m) => log.warn({}, m),
    })
    this.#tunnels = new TunnelWatch(options.backend, options.clock)
    const sockets = options.probeSockets ?? udpSocketFactory
    this.#prober = new QualityProber({
      clock: options.clock,
      sockets,
      intervalMs: 1000,
      onError,
      onRtt: (path, ms) => options.onRtt(path, ms),
      onOutcome: (path, outcome) => options.onProbeOutcome(keyOf(path), outcome),
    })
    this.#responder = new QualityResponder({
      clock: options.clock,
      sockets,
      keyFor: (from) => this.#qualityKeys.get(from.address),
      onError,
    })
  }

  get prober(): QualityProber {
    return this.#prober
  }

  get responder(): QualityResponder {
    return this.#responder
  }

  get bfd(): BfdSet {
    return this.#bfd
  }

  /** The monitored paths, in pathTargets order. */
  get targets(): readonly PathTarget[] {
    return this.#targets
  }

  /** The desired state's probe interval (the owner re-evaluates at this pace). */
  get probeIntervalMs(): number {
    return this.#probeIntervalMs
  }

  /** Measures the paths of `desired`: kept paths keep their sessions and statistics. */
  async reconfig(
    desired: DesiredState,
  ): Promise<{ targets: readonly PathTarget[]; bfd: SessionParameters }> {
    const o = this.#o
    const { targets, skipped } = pathTargets(
      desired,
      o.interfacePrefix,
      await this.#localAddresses(desired),
    )
    for (const s of skipped) this.#logOnce(`skip:${s}`, `path not monitored: ${s}`)
    this.#targets = targets
    o.onTargets(targets.map((t) => t.key))
    this.#qualityKeys = new Map()
    for (const peer of desired.peers) {
      const key = deriveQualityKey(o.privateKey, peer.wireguardPublicKey)
      for (const u of peer.uplinks) if (u.endpointHost) this.#qualityKeys.set(u.endpointHost, key)
    }
    const params = this.#bfdParams(desired)
    await this.#bfd.reconfig(targets, params)
    this.#probeIntervalMs = desired.probes.probeIntervalMs
    const port = o.probePort ?? QUALITY_PROBE_PORT
    await this.#prober.reconfig(
      targets.map((t) => ({
        ...t.ref,
        localAddress: t.localAddress,
        remoteAddress: t.remoteAddress,
        remotePort: port,
        key: this.#qualityKeys.get(t.remoteAddress) ?? new Uint8Array(32),
      })),
      desired.probes.probeIntervalMs,
    )
    const listen = new Map<string, { address: string; port: number; slot: number }>()
    for (const t of targets) {
      listen.set(t.localAddress, { address: t.localAddress, port, slot: t.ref.localSlot })
    }
    await this.#responder.reconfig([...listen.values()])
    return { targets, bfd: params }
  }

  /**
   * Starts probing and the tunnel liveness poll (every TUNNEL_POLL_MS) until `signal`
   * aborts; the promise settles when the poll loop has stopped.
   */
  start(signal: AbortSignal): Promise<void> {
    this.#prober.start()
    const clock = this.#o.clock
    return (async () => {
      while (!signal.aborted) {
        const changed = await this.#tunnels.poll(this.#targets).catch(() => [])
        if (changed.length > 0 && !signal.aborted) await this.#o.onTunnelChange(changed)
        await clock.sleep(TUNNEL_POLL_MS, signal)
      }
    })()
  }

  isUp(key: string): boolean {
    return this.#bfd.isUp(key) && this.#tunnels.isUp(key)
  }

  state(key: string): PathState {
    const bfd = this.#bfd.isUp(key)
    const tunnel = this.#tunnels.isUp(key)
    return { up: bfd && tunnel, bfd: bfd ? 'up' : 'down', tunnel: tunnel ? 'up' : 'down' }
  }

  bfdVerdict(key: string): BfdVerdict {
    if (this.#bfd.isUp(key)) return 'up'
    return this.#bfdResult.has(key) ? 'down' : 'unknown'
  }

  /** The quality prober's statistics per path. */
  quality(): PathQuality[] {
    return this.#prober.snapshot()
  }

  /** Stops probing and closes every socket; each step runs even if another fails. */
  close(): Promise<void> {
    return closeAll('stop measuring', [
      ['stop quality prober', () => this.#prober.stop()],
      ['stop quality responder', () => this.#responder.stop()],
      ['close bfd sessions', () => this.#bfd.close()],
    ])
  }

  #bfdParams(desired: DesiredState): SessionParameters {
    const interval = this.#o.bfd?.intervalMs ?? desired.probes.bfdIntervalMs
    return {
      desiredMinTxMs: interval,
      requiredMinRxMs: interval,
      detectMult: this.#o.bfd?.multiplier ?? desired.probes.bfdMultiplier,
    }
  }

  async #localAddresses(
    desired: DesiredState,
  ): Promise<(u: DesiredState['uplinks'][number]) => string | undefined> {
    const bySlot = new Map<number, string>()
    for (const u of desired.uplinks) {
      if (this.#o.mode === 'lab') {
        if (u.endpointHost) bySlot.set(u.slot, u.endpointHost)
        continue
      }
      const addr = (await this.#o.routing.addresses(u.interface).catch(() => [])).find(
        (a) => !a.cidr.includes(':'),
      )
      if (addr) bySlot.set(u.slot, addr.cidr.split('/')[0] ?? '')
    }
    return (u) => bySlot.get(u.slot)
  }

  #onBfd(key: string, change: StateChange): void {
    if (change.to === 'Up') this.#bfdResult.add(key)
    this.#o.onBfdChange(key, change)
  }

  #logOnce(key: string, message: string): void {
    if (this.#skippedLogged.has(key)) return
    this.#skippedLogged.add(key)
    this.#o.logger.warn({}, message)
  }
}
