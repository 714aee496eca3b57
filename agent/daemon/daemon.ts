/**
 * The agent daemon: keeps the pipeline in step with the control plane.
 *
 * Fail-static first: at start it hands the cached desired state to the pipeline before any
 * network I/O, so a site keeps forwarding with its last configuration when the control
 * plane is down, including after a restart. Then two loops run until stopped:
 * - sync: long-poll the config (ETag = revision); on a new revision, cache it atomically,
 *   then reconfig. Errors back off exponentially (1 s .. 60 s, jittered), logged once per
 *   streak.
 * - heartbeat: every `heartbeatIntervalSeconds` of the current desired state (jittered),
 *   with each uplink's state from the path reporter (up if a BFD session on it is up).
 * With a path reporter (the path monitor), two more:
 * - telemetry: every TELEMETRY_INTERVAL_MS, one sample per path and the active paths;
 *   a failed post is dropped (the next one is fresher), logged once per streak.
 * - events: posted as they happen, in batches of at most MAX_EVENTS_PER_BATCH (100); on an
 *   error (a 429 included) they go back to the head of the reporter's bounded queue and the
 *   loop backs off like the sync loop.
 *
 * Revocation: on AgentRevokedError any loop stops them all, the pipeline is CLOSED (its
 * tunnels and routes removed: a revoked site is out of the network; fail-static is for an
 * unreachable control plane, not for an explicit revocation), and run() resolves
 * 'revoked'; the CLI turns that into exit 3 with a clear message. On an external stop
 * (SIGTERM) the in-flight long-poll is aborted, the pipeline closed, and run() resolves
 * 'stopped'.
 */
import type { DesiredState } from '../../protocol/agent'
import {
  type AgentEvent,
  MAX_EVENTS_PER_BATCH,
  type TelemetryBatch,
} from '../../protocol/telemetry'
import { PROTOCOL_VERSION } from '../../protocol/version'
import type { Clock } from '../clock'
import { AgentRevokedError, type ControlClient, ControlPlaneProblemError } from '../control'
import type { Logger } from '../logger'
import { withSpan } from '../observability'
import type { Pipeline } from '../pipeline'
import type { DesiredStateStore } from '../state'
import { Backoff, jitter, type Random } from './backoff'
import { ErrorStreak } from './error-streak'

/**
 * The wait before retrying after `error`: our backoff, or longer when the control plane
 * said when to come back (`Retry-After` on a rate limit or quota, bounded by the client).
 */
function retryDelay(error: unknown, backoffMs: number): number {
  const asked = error instanceof ControlPlaneProblemError ? error.retryAfterMs : undefined
  return asked === undefined ? backoffMs : Math.max(backoffMs, asked)
}

export interface DaemonOptions {
  /** Long-poll wait sent to the server; below MAX_LONG_POLL_SECONDS and proxy timeouts. */
  longPollSeconds: number
  backoffMinMs: number
  backoffMaxMs: number
  /**
   * Shortest time between two config polls: a server (or proxy) that answers a long-poll
   * at once must not turn the loop into a busy loop.
   */
  minPollIntervalMs: number
  /** Heartbeat interval until a desired state says otherwise. */
  defaultHeartbeatSeconds: number
}

export const DEFAULT_DAEMON_OPTIONS: DaemonOptions = {
  longPollSeconds: 55,
  backoffMinMs: 1_000,
  backoffMaxMs: 60_000,
  minPollIntervalMs: 1_000,
  defaultHeartbeatSeconds: 30,
}

/** What the daemon reports about paths (the path monitor implements it). */
export interface PathReporter {
  telemetry(): TelemetryBatch
  takeEvents(max: number): AgentEvent[]
  /** Puts events that could not be posted back at the head of the queue. */
  requeue(events: AgentEvent[]): void
  /** Called when events are queued; returns an unsubscribe function. */
  onEvents(listener: () => void): () => void
  /** Uplink state by slot; slots absent are unknown. */
  uplinkStates(): Map<number, 'up' | 'down' | 'unknown'>
}

export const TELEMETRY_INTERVAL_MS = 10_000
export const EVENT_BATCH_MAX = MAX_EVENTS_PER_BATCH

export interface DaemonDeps {
  client: ControlClient
  pipeline: Pipeline
  store: DesiredStateStore
  clock: Clock
  logger: Logger
  random?: Random
  agentVersion: string
  /** Uplink names claimed at enrollment, reported until the desired state lists uplinks. */
  uplinkNames: string[]
  reporter?: PathReporter
  options?: Partial<DaemonOptions>
}

export type DaemonExit = 'stopped' | 'revoked'

export const REVOKED_MESSAGE = 'agent revoked by the control plane; stopping sync'

export class Daemon {
  private readonly options: DaemonOptions
  private readonly random: Random
  private readonly log: Logger
  private current: DesiredState | undefined
  /** The revision the pipeline has applied; sent as the ETag. */
  private appliedRevision: number | undefined
  private revoked = false

  constructor(private readonly deps: DaemonDeps) {
    this.options = { ...DEFAULT_DAEMON_OPTIONS, ...deps.options }
    this.random = deps.random ?? Math.random
    this.log = deps.logger.child({ component: 'daemon' })
  }

  /** The desired state the pipeline was last given (cache or server). */
  get desired(): DesiredState | undefined {
    return this.current
  }

  async run(signal: AbortSignal): Promise<DaemonExit> {
    const startedAt = this.deps.clock.now()
    await this.applyCache()
    const stop = new AbortController()
    const onAbort = () => stop.abort()
    if (signal.aborted) stop.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const loops = [this.syncLoop(stop), this.heartbeatLoop(stop, startedAt)]
      const reporter = this.deps.reporter
      if (reporter) loops.push(this.telemetryLoop(stop, reporter), this.eventLoop(stop, reporter))
      await Promise.all(loops)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    if (this.revoked) {
      this.log.error({}, REVOKED_MESSAGE)
      await this.closeEngine()
      return 'revoked'
    }
    await this.closeEngine()
    this.log.info({}, 'stopped')
    return 'stopped'
  }

  private async closeEngine(): Promise<void> {
    try {
      await this.deps.pipeline.close()
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'close pipeline')
    }
  }

  private async telemetryLoop(stop: AbortController, reporter: PathReporter): Promise<void> {
    const { client, clock } = this.deps
    const streak = new ErrorStreak(this.log, 'telemetry')
    while (!stop.signal.aborted) {
      await clock.sleep(TELEMETRY_INTERVAL_MS, stop.signal)
      if (stop.signal.aborted) break
      const batch = reporter.telemetry()
      if (batch.samples.length === 0 && batch.activePaths.length === 0) continue
      try {
        await client.postTelemetry(batch, stop.signal)
        streak.succeeded()
      } catch (error) {
        if (stop.signal.aborted) break
        if (this.handleRevoked(error, stop)) break
        streak.failed(error, TELEMETRY_INTERVAL_MS)
      }
    }
  }

  private async eventLoop(stop: AbortController, reporter: PathReporter): Promise<void> {
    const { client, clock } = this.deps
    const backoff = new Backoff(this.options.backoffMinMs, this.options.backoffMaxMs)
    const streak = new ErrorStreak(this.log, 'events')
    let wake: (() => void) | undefined
    const unsubscribe = reporter.onEvents(() => wake?.())
    const onStop = () => wake?.()
    stop.signal.addEventListener('abort', onStop, { once: true })
    try {
      while (!stop.signal.aborted) {
        const events = reporter.takeEvents(EVENT_BATCH_MAX)
        if (events.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
          continue
        }
        try {
          await client.postEvents(events, stop.signal)
          backoff.reset()
          streak.succeeded()
        } catch (error) {
          reporter.requeue(events)
          if (stop.signal.aborted) break
          if (this.handleRevoked(error, stop)) break
          const delay = retryDelay(error, jitter(backoff.next(), this.random))
          streak.failed(error, delay)
          await clock.sleep(delay, stop.signal)
        }
      }
    } finally {
      unsubscribe()
      stop.signal.removeEventListener('abort', onStop)
    }
  }

  private uplinkStates(): { name: string; state: 'up' | 'down' | 'unknown' }[] {
    const states = this.deps.reporter?.uplinkStates()
    if (this.current) {
      return this.current.uplinks.map((u) => ({
        name: u.name,
        state: states?.get(u.slot) ?? 'unknown',
      }))
    }
    return this.deps.uplinkNames.map((name) => ({ name, state: 'unknown' as const }))
  }

  /** Fail-static: the cached document goes to the pipeline before any network I/O. */
  private async applyCache(): Promise<void> {
    let cached: DesiredState | undefined
    try {
      cached = await this.deps.store.load()
    } catch (error) {
      // A corrupt cache must not keep the agent down: the server will send a fresh one.
      this.log.error({ err: (error as Error).message }, 'ignoring the cached desired state')
      return
    }
    if (!cached) {
      this.log.info({}, 'no cached desired state; waiting for the control plane')
      return
    }
    this.current = cached
    try {
      await this.deps.pipeline.reconfig(cached)
      // A document served for an older protocol (this agent was upgraded in place) lacks
      // what this version adds, at the same revision: no If-None-Match, so it is replaced.
      if (cached.protocolVersion === PROTOCOL_VERSION) this.appliedRevision = cached.revision
      this.log.info({ revision: cached.revision }, 'applied cached desired state')
    } catch (error) {
      // Leave appliedRevision unset so the server sends the document again (no 304).
      this.log.error(
        { err: (error as Error).message, revision: cached.revision },
        'reconfig from cache',
      )
    }
  }

  private handleRevoked(error: unknown, stop: AbortController): boolean {
    if (!(error instanceof AgentRevokedError)) return false
    this.revoked = true
    stop.abort()
    return true
  }

  private async syncLoop(stop: AbortController): Promise<void> {
    const { clock } = this.deps
    const backoff = new Backoff(this.options.backoffMinMs, this.options.backoffMaxMs)
    const streak = new ErrorStreak(this.log, 'config sync')
    while (!stop.signal.aborted) {
      const began = clock.now()
      try {
        await withSpan('agent.sync', () => this.pollOnce(stop.signal))
        backoff.reset()
        streak.succeeded()
      } catch (error) {
        if (stop.signal.aborted) break
        if (this.handleRevoked(error, stop)) break
        const delay = retryDelay(error, jitter(backoff.next(), this.random))
        streak.failed(error, delay)
        await clock.sleep(delay, stop.signal)
        continue
      }
      const elapsed = clock.now() - began
      if (elapsed < this.options.minPollIntervalMs) {
        await clock.sleep(jitter(this.options.minPollIntervalMs, this.random), stop.signal)
      }
    }
  }

  private async pollOnce(signal: AbortSignal): Promise<void> {
    const { client, store, pipeline, clock } = this.deps
    const result = await client.getConfig({
      etag: this.appliedRevision,
      // The model is an instance setting outside the revision: say which one we run.
      ...(this.current ? { model: this.current.model ?? null } : {}),
      waitSeconds: this.options.longPollSeconds,
      signal,
    })
    if (result.status === 'changed') {
      const state = result.state
      this.current = state
      try {
        await store.save(state)
      } catch (error) {
        // Forwarding with the new config matters more than the cache: log and go on.
        this.log.error({ err: (error as Error).message }, 'cache desired state')
      }
      await withSpan('agent.reconfig', () => pipeline.reconfig(state), {
        attributes: { 'patronus.revision': state.revision },
      })
      this.appliedRevision = state.revision
      this.log.info({ revision: state.revision }, 'applied new desired state')
    }
    try {
      await store.saveSyncStatus({
        lastSyncAt: new Date(clock.now()).toISOString(),
        revision: this.appliedRevision ?? null,
      })
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'record sync status')
    }
  }

  private heartbeatIntervalMs(): number {
    const seconds = this.current?.heartbeatIntervalSeconds ?? this.options.defaultHeartbeatSeconds
    return seconds * 1000
  }

  private async heartbeatLoop(stop: AbortController, startedAt: number): Promise<void> {
    const { client, clock } = this.deps
    const streak = new ErrorStreak(this.log, 'heartbeat')
    while (!stop.signal.aborted) {
      try {
        await client.heartbeat(
          {
            agentVersion: this.deps.agentVersion,
            uptimeSeconds: Math.max(0, Math.floor((clock.now() - startedAt) / 1000)),
            ...(this.appliedRevision !== undefined ? { revision: this.appliedRevision } : {}),
            // Up when a BFD session on the uplink is up, unknown before the first result.
            uplinks: this.uplinkStates().slice(0, 16),
          },
          stop.signal,
        )
        streak.succeeded()
      } catch (error) {
        if (stop.signal.aborted) break
        if (this.handleRevoked(error, stop)) break
        streak.failed(error, this.heartbeatIntervalMs())
      }
      // The interval itself is the retry pace: a heartbeat is cheap and periodic anyway.
      await clock.sleep(jitter(this.heartbeatIntervalMs(), this.random), stop.signal)
    }
  }
}
