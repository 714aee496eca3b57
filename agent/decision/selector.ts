/**
 * The path selector: for every traffic class and every peer site, which path (or, for
 * load-balance, which weighted set of paths) carries the class. Pure logic over an injected
 * clock: the caller feeds it every path's state (`evaluate`) whenever something changes (a BFD
 * transition, a probe window, a timer) and applies the decisions as route changes.
 *
 * Rules, in order (damping after RFC 2439, see damping.ts):
 * 1. A down path is never chosen. With no path up the class has no path (`no_path`). For a
 *    `custom` class, a path its plugin refuses (a non-finite score) counts as down; its
 *    plugin's scores arrive precomputed on the inputs (PathInput.customScores).
 * 2. Paths suppressed by flap damping are left out unless no unsuppressed path is up.
 * 3. Paths breaking the class's SLA are left out when a compliant path exists; if none does,
 *    the path with the smallest SLA excess is chosen and the class is flagged `slaViolation`.
 * 4. The preference's score orders what is left.
 * 5. Forced moves: the current path is down (immediately, `failover`), refused by the
 *    class's plugin (immediately, `switch`/`refused`), or suppressed while an
 *    unsuppressed path is up (immediately, `switch`/`damped`), or it breaks the SLA while a
 *    compliant path exists (`switch`/`sla`: bypasses hysteresis but waits out the hold-down,
 *    so two paths hovering around an SLA limit cannot ping-pong faster than holdDownMs).
 * 5b. Predicted moves (classes with `predictive` only): the predictor flags the current path
 *    (PathInput.predicted) while a compliant unflagged path exists (`switch`/`predicted`:
 *    like `sla`, bypasses hysteresis and waits out the hold-down). A flagged path counts as
 *    not clean for that class, so it takes traffic back (failback, voluntary move) only after
 *    failbackAfterMs with no flag and no reactive fault.
 * 6. Voluntary moves (to a better path) need: the hold-down since the last switch elapsed, a
 *    score better by more than hysteresisPct, and a target that has been clean (up and within
 *    the SLA) for failbackAfterMs. A voluntary move back to the path last forced off is a
 *    `failback`.
 */
import { scorePaths } from '../../wasm/score/score'
import type { Clock } from '../clock'
import {
  assertUniqueClasses,
  best,
  type Candidate,
  type ClassState,
  dedupe,
  type Emit,
  EVENT_OF,
  newState,
  type PathTrack,
  ref,
  weigh,
} from './candidates'
import { type DampingSettings, DEFAULT_DAMPING, FlapDamper } from './damping'
import { type BatchScorer, betterBy, scoreAll, slaExcess } from './scoring'
import {
  type ClassDecision,
  type DecisionEvent,
  type DecisionReason,
  type DecisionResult,
  type FailoverSettings,
  type PathInput,
  type PathRef,
  pathKey,
  type TrafficClass,
} from './types'

export interface PathSelectorOptions {
  clock: Clock
  /** In priority order; the default class should be last (see classesFromDesiredState). */
  classes: readonly TrafficClass[]
  failover: FailoverSettings
  damping?: Partial<DampingSettings>
  /** The batch scorer: the wasm one (wasm/score) unless a bench injects another. */
  batchScorer?: BatchScorer
  /**
   * Smallest score gain worth a voluntary switch, on top of hysteresisPct (default
   * MIN_GAIN; for lowest-latency, ms of effective delay). A percentage alone makes
   * sub-millisecond paths (a LAN, the lab) trade places on noise every hold-down.
   */
  minGain?: number
}

export const MIN_GAIN = 2

export class PathSelector {
  readonly #clock: Clock
  readonly #batch: BatchScorer
  #classes: readonly TrafficClass[]
  #failover: FailoverSettings
  #damping: DampingSettings
  readonly #minGain: number
  readonly #paths = new Map<string, PathTrack>()
  readonly #states = new Map<string, ClassState>()
  /** Last time a path broke a class's SLA, by `${classId}|${pathKey}`. */
  readonly #lastSlaBadAt = new Map<string, number>()

  constructor(options: PathSelectorOptions) {
    this.#clock = options.clock
    this.#batch = options.batchScorer ?? scorePaths
    this.#classes = options.classes
    this.#failover = options.failover
    this.#damping = { ...DEFAULT_DAMPING, ...options.damping }
    this.#minGain = options.minGain ?? MIN_GAIN
    assertUniqueClasses(this.#classes)
  }

  /** New classes or settings from a new desired state; state of kept classes survives. */
  reconfig(update: { classes?: readonly TrafficClass[]; failover?: FailoverSettings }): void {
    if (update.classes) {
      assertUniqueClasses(update.classes)
      this.#classes = update.classes
    }
    if (update.failover) this.#failover = update.failover
  }

  /** Damping state of a path (for metrics and tests). */
  damping(path: PathRef): { penalty: number; suppressed: boolean } {
    const track = this.#paths.get(pathKey(path))
    const now = this.#clock.now()
    if (!track) return { penalty: 0, suppressed: false }
    return { penalty: track.damper.penalty(now), suppressed: track.damper.suppressed(now) }
  }

  evaluate(input: readonly PathInput[]): DecisionResult {
    const now = this.#clock.now()
    const paths = dedupe(input)
    this.#track(paths, now)
    const scores = scoreAll(paths, this.#classes, this.#batch)
    const n = paths.length

    const byPeer = new Map<string, number[]>()
    paths.forEach((p, i) => {
      const list = byPeer.get(p.peerSiteId) ?? []
      list.push(i)
      byPeer.set(p.peerSiteId, list)
    })
    const peers = [...byPeer.keys()].sort()
    const decisions: ClassDecision[] = []
    const events: DecisionEvent[] = []
    const live = new Set<string>()
    this.#classes.forEach((cls, row) => {
      for (const peer of peers) {
        const stateKey = `${cls.id}|${peer}`
        live.add(stateKey)
        const candidates = byPeer.get(peer)!.map((i) => {
          const score = scores[row * n + i]!
          // Only a plugin's refusal scores -Infinity (scoreAll): for this class the path is
          // down, so every rule below (never chosen, forced off, failback only once clean)
          // applies to it as to a dead path.
          const refused = paths[i]!.up && score === Number.NEGATIVE_INFINITY
          const p = refused ? { ...paths[i]!, up: false } : paths[i]!
          const key = pathKey(p)
          const track = this.#paths.get(key)!
          const excess = p.up ? slaExcess(p, cls.sla) : 0
          const slaKey = `${cls.id}|${key}`
          const predicted = cls.predictive === true && p.up && p.predicted === true
          // A flagged path is "bad" for this class like an SLA breach: failback waits for it.
          if (excess > 0 || !p.up || predicted) this.#lastSlaBadAt.set(slaKey, now)
          const lastBad = Math.max(track.lastDownAt, this.#lastSlaBadAt.get(slaKey) ?? -Infinity)
          return {
            key,
            index: i,
            input: p,
            score,
            refused,
            excess,
            suppressed: track.damper.suppressed(now),
            clean: now - lastBad >= this.#failover.failbackAfterMs,
            predicted,
          } satisfies Candidate
        })
        const state = this.#states.get(stateKey) ?? newState()
        this.#states.set(stateKey, state)
        decisions.push(this.#decide(cls, peer, state, candidates, now, events))
      }
    })
    for (const key of this.#states.keys()) if (!live.has(key)) this.#states.delete(key)
    return { at: now, decisions, events }
  }

  #track(paths: readonly PathInput[], now: number): void {
    const seen = new Set<string>()
    for (const p of paths) {
      const key = pathKey(p)
      seen.add(key)
      let track = this.#paths.get(key)
      if (!track) {
        track = {
          ref: ref(p),
          up: p.up,
          lastDownAt: p.up ? -Infinity : now,
          damper: new FlapDamper(this.#damping),
        }
        this.#paths.set(key, track)
        continue
      }
      if (track.up && !p.up) track.damper.flap(now)
      if (!p.up) track.lastDownAt = now
      track.up = p.up
    }
    // A path gone from the input (removed uplink or peer) is forgotten; if it returns it
    // starts unflapped but must still wait failbackAfterMs before it takes traffic back.
    for (const key of this.#paths.keys()) if (!seen.has(key)) this.#paths.delete(key)
  }

  #decide(
    cls: TrafficClass,
    peer: string,
    state: ClassState,
    all: Candidate[],
    now: number,
    events: DecisionEvent[],
  ): ClassDecision {
    const { holdDownMs, hysteresisPct } = this.#failover
    const up = all.filter((c) => c.input.up)
    const current = state.current === null ? undefined : all.find((c) => c.key === state.current)
    const emit: Emit = (type, from, to, reason) =>
      events.push({
        type,
        at: now,
        classId: cls.id,
        peerSiteId: peer,
        from: from ? ref(from.input) : null,
        to: to ? ref(to.input) : null,
        reason,
      })

    if (up.length === 0) {
      if (state.current !== null) {
        emit('no_path', current, undefined, 'no_path')
        state.failedFrom = state.current
        state.lastSwitchAt = now
      }
      state.current = null
      state.members = []
      state.slaViolation = false
      return this.#output(cls, peer, state, all, 'no_path')
    }

    const unsuppressed = up.filter((c) => !c.suppressed)
    const pool = unsuppressed.length > 0 ? unsuppressed : up
    const compliant = pool.filter((c) => c.excess === 0)
    const slaViolation = compliant.length === 0
    const cleanCompliant = compliant.filter((c) => c.clean)
    const unflagged = compliant.filter((c) => !c.predicted)
    // Targets of a forced move or a first choice: the best tier that is not empty.
    const forcedTier =
      cleanCompliant.length > 0
        ? cleanCompliant
        : unflagged.length > 0
          ? unflagged
          : compliant.length > 0
            ? compliant
            : pool
    const holdDownActive = now - state.lastSwitchAt < holdDownMs
    const finish = (reason: DecisionReason) =>
      this.#finish(cls, peer, state, all, pool, reason, slaViolation, now, emit)

    const moveTo = (target: Candidate, reason: DecisionReason): ClassDecision => {
      if (reason !== 'initial') emit(EVENT_OF[reason], current, target, reason)
      if (
        reason === 'path_down' ||
        reason === 'refused' ||
        reason === 'sla' ||
        reason === 'damped' ||
        reason === 'predicted'
      ) {
        state.failedFrom = state.current
      }
      if (reason === 'failback') state.failedFrom = null
      state.current = target.key
      if (reason !== 'initial') state.lastSwitchAt = now
      state.since = now
      state.hadPath = true
      return finish(reason)
    }

    if (!current?.input.up) {
      const reason: DecisionReason =
        state.current === null
          ? state.hadPath
            ? 'restored'
            : 'initial'
          : current?.refused
            ? 'refused'
            : 'path_down'
      return moveTo(best(forcedTier, slaViolation)!, reason)
    }

    const forced: DecisionReason | null = !pool.includes(current)
      ? 'damped'
      : current.excess > 0 && !slaViolation
        ? 'sla'
        : current.predicted && unflagged.some((c) => c !== current)
          ? 'predicted'
          : null
    if (forced) {
      // Damping bypasses the hold-down too: a suppressed path carries traffic only while
      // nothing else is up. It cannot ping-pong: the path we move to is unsuppressed and can
      // only become suppressed by going down.
      if (holdDownActive && forced !== 'damped') return finish('hold_down')
      const target = best(
        forcedTier.filter((c) => c !== current && !(forced === 'predicted' && c.predicted)),
        slaViolation,
      )
      return target ? moveTo(target, forced) : finish('current_best')
    }

    // Failback: the path we were forced off is clean again and the current one is not
    // clearly better (by hysteresis and the minimum gain): go back, after the hold-down.
    const back = state.failedFrom
      ? cleanCompliant.find((c) => c.key === state.failedFrom && c !== current)
      : undefined
    if (back && !slaViolation) {
      const clearlyBetter =
        betterBy(current.score, back.score, hysteresisPct) &&
        current.score - back.score > this.#minGain
      if (!clearlyBetter) return holdDownActive ? finish('hold_down') : moveTo(back, 'failback')
    }

    // Voluntary: the current path is up, in the pool, and compliant (or nothing is).
    const targets = slaViolation ? pool : [...cleanCompliant.filter((c) => c !== current), current]
    const top = best(targets, slaViolation)!
    if (top === current) return finish('current_best')
    const gain = slaViolation
      ? betterBy(-top.excess, -current.excess, hysteresisPct)
      : betterBy(top.score, current.score, hysteresisPct) &&
        top.score - current.score > this.#minGain
    if (!gain) return finish('hysteresis')
    if (holdDownActive) return finish('hold_down')
    return moveTo(top, top.key === state.failedFrom ? 'failback' : 'better')
  }

  /** Common tail: load-balance membership, the SLA-violation event, the output. */
  #finish(
    cls: TrafficClass,
    peer: string,
    state: ClassState,
    all: Candidate[],
    pool: Candidate[],
    reason: DecisionReason,
    slaViolation: boolean,
    now: number,
    emit: Emit,
  ): ClassDecision {
    const current = all.find((c) => c.key === state.current)
    if (cls.preference === 'load-balance' && current && !slaViolation) {
      // Members: the current path, the members still up, undamped and compliant, and (outside
      // the hold-down, like any voluntary change) every compliant path clean for
      // failbackAfterMs. A member that goes down leaves at once.
      const holdDownActive = now - state.lastSwitchAt < this.#failover.holdDownMs
      const previous = new Set(state.members)
      const members = pool.filter(
        (c) =>
          c === current ||
          (c.excess === 0 && !c.predicted && (previous.has(c.key) || (c.clean && !holdDownActive))),
      )
      const keys = new Set(members.map((c) => c.key))
      for (const gone of all) {
        if (previous.has(gone.key) && !keys.has(gone.key) && gone !== current) {
          if (!gone.input.up && gone.key !== state.members[0]) {
            emit('failover', gone, current, 'path_down')
            state.failedFrom = gone.key
          }
        }
      }
      const added = members.filter((c) => !previous.has(c.key) && c !== current)
      if (added.length > 0 && previous.size > 0) {
        state.lastSwitchAt = now
        const back = added.find((c) => c.key === state.failedFrom)
        emit(back ? 'failback' : 'switch', current, back ?? added[0], back ? 'failback' : 'better')
        if (back) state.failedFrom = null
      }
      state.members = [current.key, ...members.filter((c) => c !== current).map((c) => c.key)]
    } else {
      state.members = state.current === null ? [] : [state.current]
    }
    if (slaViolation && !state.slaViolation) emit('sla_violation', undefined, current, reason)
    state.slaViolation = slaViolation
    return this.#output(cls, peer, state, all, reason)
  }

  #output(
    cls: TrafficClass,
    peer: string,
    state: ClassState,
    all: Candidate[],
    reason: DecisionReason,
  ): ClassDecision {
    const members = state.members
      .map((key) => all.find((c) => c.key === key))
      .filter((c): c is Candidate => c !== undefined)
    const paths = weigh(members, cls.preference === 'load-balance')
    const current = all.find((c) => c.key === state.current)
    return {
      classId: cls.id,
      peerSiteId: peer,
      path: current ? ref(current.input) : null,
      paths,
      reason,
      slaViolation: state.slaViolation,
      since: state.since,
    }
  }
}

/** Highest score (or smallest SLA excess, then score, when nothing is compliant); ties: input order. */
