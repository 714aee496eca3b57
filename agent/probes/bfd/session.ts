/**
 * One BFD session in asynchronous mode (RFC 5880 sec. 6.2, 6.8): the state machine
 * (AdminDown/Down/Init/Up), timer negotiation, jittered periodic transmission, detection
 * timeout, the poll/final sequence for parameter changes, and authentication. It does no
 * I/O: packets arrive through receive() (already decoded and demultiplexed by the endpoint)
 * and leave through the injected `send`; time comes from the injected BfdClock. State
 * changes are emitted as 'state' events with the diagnostic. The reception rules (auth
 * checks, state transitions) are in session-receive.ts, the public shapes in session-types.ts.
 */
import { randomInt } from 'node:crypto'
import { EventEmitter } from 'node:events'
import {
  type AuthRxState,
  authSectionFor,
  newAuthRxState,
  type ResolvedAuth,
  resolveAuth,
  signInPlace,
} from './auth'
import type { BfdClock, TimerHandle } from './clock'
import { Diag, STATE_NAMES, State, type StateName } from './constants'
import { type BfdCounters, createCounters, type DropReason } from './counters'
import { advertisedTxUs, detectionTimeUs, jitteredMs, txIntervalUs } from './negotiation'
import { type ControlPacket, encodeControlPacket } from './packet'
import {
  checkParameters,
  definedOnly,
  LAB_PARAMETERS,
  type SessionParameters,
  us,
} from './parameters'
import { checkReceivedAuth, transitionOnReceive } from './session-receive'
import type { SessionDeps, SessionOptions, SessionSnapshot, StateChange } from './session-types'

export { LAB_PARAMETERS, PRODUCTION_PARAMETERS, type SessionParameters } from './parameters'
export type { SessionDeps, SessionOptions, SessionSnapshot, StateChange } from './session-types'

type Events = { state: [StateChange] }

export class BfdSession extends EventEmitter<Events> {
  readonly localDiscriminator: number
  readonly counters: BfdCounters
  private readonly clock: BfdClock
  private readonly sendFn: (packet: Buffer) => void
  private readonly random: () => number
  private readonly auth: ResolvedAuth | undefined
  private readonly passive: boolean
  private params: SessionParameters

  // sec. 6.8.1 state variables (intervals in microseconds).
  private sessionState: State
  private remoteSessionState: State = State.Down
  private remoteDiscr = 0
  private localDiag: number = Diag.None
  private remoteMinRxUs = 1
  private remoteDesiredMinTxUs = 0
  private remoteDetectMult = 0
  private remoteDemand = false
  private xmitAuthSeq: number
  private xmitAuthSeqAt = 0
  private readonly authRx: AuthRxState = newAuthRxState()

  // sec. 6.5 poll sequence, and the values held while it runs (sec. 6.8.3).
  private pollActive = false
  private heldTxUs: number | undefined
  private heldRxUs: number | undefined

  private lastDetectionMs = 0
  private txTimer: TimerHandle | undefined
  private txDueAt = 0
  private detectTimer: TimerHandle | undefined
  private running = false

  constructor(options: SessionOptions, deps: SessionDeps) {
    super()
    const d = options.localDiscriminator
    if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) {
      throw new Error('bfd session: local discriminator must be 1..2^32-1')
    }
    this.localDiscriminator = d
    this.params = checkParameters({ ...LAB_PARAMETERS, ...definedOnly(options) })
    this.auth = options.auth ? resolveAuth(options.auth) : undefined
    this.passive = options.passive ?? false
    this.sessionState = options.adminDown ? State.AdminDown : State.Down
    this.clock = deps.clock
    this.sendFn = deps.send
    this.random = deps.random ?? Math.random
    this.counters = deps.counters ?? createCounters()
    // sec. 6.8.1: bfd.XmitAuthSeq starts at a random value.
    this.xmitAuthSeq = randomInt(0, 0xffffffff)
  }

  get state(): StateName {
    return STATE_NAMES[this.sessionState]
  }

  snapshot(): SessionSnapshot {
    return {
      state: this.state,
      localDiag: this.localDiag,
      localDiscriminator: this.localDiscriminator,
      remoteDiscriminator: this.remoteDiscr,
      remoteState: STATE_NAMES[this.remoteSessionState],
      txIntervalMs: this.currentTxUs() / 1000,
      detectionTimeMs: this.currentDetectionUs() / 1000,
      pollActive: this.pollActive,
    }
  }

  /** Starts transmitting (idempotent). */
  start(): void {
    if (this.running) return
    this.running = true
    this.transmit(false)
  }

  /** Stops all timers and transmission (idempotent). */
  stop(): void {
    this.running = false
    this.txTimer?.cancel()
    this.txTimer = undefined
    this.detectTimer?.cancel()
    this.detectTimer = undefined
  }

  /** sec. 6.8.16: administratively down; the remote sees AdminDown and goes Down. */
  adminDown(diag: number = Diag.AdministrativelyDown): void {
    if (this.sessionState === State.AdminDown) return
    this.detectTimer?.cancel()
    this.detectTimer = undefined
    this.setState(State.AdminDown, diag)
  }

  adminUp(): void {
    if (this.sessionState !== State.AdminDown) return
    this.setState(State.Down, Diag.None)
  }

  /**
   * Changes intervals or the multiplier. While Up this runs a poll sequence (sec. 6.8.3):
   * a slower TX and a faster RX take effect only once the remote acknowledged with Final.
   */
  setParameters(next: Partial<SessionParameters>): void {
    const old = this.params
    const params = checkParameters({ ...old, ...definedOnly(next) })
    const txChanged = params.desiredMinTxMs !== old.desiredMinTxMs
    const rxChanged = params.requiredMinRxMs !== old.requiredMinRxMs
    if (this.sessionState === State.Up && (txChanged || rxChanged)) {
      if (params.desiredMinTxMs > old.desiredMinTxMs) this.heldTxUs ??= us(old.desiredMinTxMs)
      if (params.requiredMinRxMs < old.requiredMinRxMs) {
        this.heldRxUs ??= us(old.requiredMinRxMs)
      }
      this.params = params
      this.startPoll()
      return
    }
    this.params = params
    this.rescheduleTx()
    this.rearmDetection()
  }

  /**
   * Session part of sec. 6.8.6 for a packet the endpoint decoded and matched to this
   * session. Returns null when accepted, else the drop reason (already counted).
   */
  receive(packet: ControlPacket, raw: Uint8Array): DropReason | null {
    const now = this.clock.now()
    this.counters.received++
    // sec. 6.7.3: the sequence is forgotten after 2 x the Detection Time of silence (the
    // last one known: a timeout clears the remote's timers).
    const staleAfterMs = 2 * this.lastDetectionMs
    const reason = checkReceivedAuth(packet, raw, this.auth, this.authRx, now, staleAfterMs)
    if (reason) return this.drop(reason)
    this.remoteDiscr = packet.myDiscriminator
    this.remoteSessionState = packet.state
    this.remoteDemand = packet.demand
    this.remoteMinRxUs = packet.requiredMinRxUs
    this.remoteDesiredMinTxUs = packet.desiredMinTxUs
    this.remoteDetectMult = packet.detectMult
    // sec. 6.5: a Final ends our poll sequence; held values are released (sec. 6.8.3).
    if (packet.final && this.pollActive) this.endPoll()

    if (this.sessionState === State.AdminDown) return this.drop('adminDown')
    this.counters.accepted++

    const transition = transitionOnReceive(this.sessionState, packet.state)
    if (transition) this.setState(transition.to, transition.diag)

    this.rearmDetection()
    // sec. 6.8.6: a Poll is answered at once with Final, outside the periodic timer.
    if (packet.poll) this.transmit(true)
    this.rescheduleTx()
    return null
  }

  private drop(reason: DropReason): DropReason {
    this.counters.dropped[reason]++
    return reason
  }

  private setState(to: State, diag: number): void {
    const from = this.sessionState
    if (from === to) return
    this.sessionState = to
    this.localDiag = diag
    if (to === State.Up) {
      // Leaving the slow rate of sec. 6.8.3 is a parameter change: poll for it.
      if (us(this.params.desiredMinTxMs) < advertisedTxUs(us(this.params.desiredMinTxMs), false)) {
        this.pollActive = true
      }
    } else {
      this.pollActive = false
      this.heldTxUs = undefined
      this.heldRxUs = undefined
    }
    this.emit('state', {
      from: STATE_NAMES[from],
      to: STATE_NAMES[to],
      diag,
      at: this.clock.now(),
    })
    // Tell the remote at once rather than at the next (possibly 1 s) tick.
    if (this.running) this.transmit(false)
  }

  private startPoll(): void {
    this.pollActive = true
    if (this.running) this.transmit(false)
  }

  private endPoll(): void {
    this.pollActive = false
    this.heldTxUs = undefined
    this.heldRxUs = undefined
  }

  private advertisedTxUs(): number {
    return advertisedTxUs(us(this.params.desiredMinTxMs), this.sessionState === State.Up)
  }

  /** The periodic interval in force now (sec. 6.8.2, 6.8.3 hold). */
  private currentTxUs(): number {
    const desired = this.heldTxUs ?? this.advertisedTxUs()
    return txIntervalUs(desired, this.remoteMinRxUs)
  }

  /** The Detection Time in force now (sec. 6.8.4, 6.8.3 hold). */
  private currentDetectionUs(): number {
    const rx = Math.max(us(this.params.requiredMinRxMs), this.heldRxUs ?? 0)
    return detectionTimeUs(this.remoteDetectMult, rx, this.remoteDesiredMinTxUs)
  }

  private rearmDetection(): void {
    this.detectTimer?.cancel()
    this.detectTimer = undefined
    if (!this.running || this.sessionState === State.AdminDown) return
    const ms = this.currentDetectionUs() / 1000
    if (ms <= 0) return
    this.lastDetectionMs = ms
    this.detectTimer = this.clock.setTimer(ms, () => this.onDetectionTimeout())
  }

  /** sec. 6.8.4/6.8.5: no valid packet for a Detection Time. */
  private onDetectionTimeout(): void {
    this.detectTimer = undefined
    // sec. 6.8.1: bfd.RemoteDiscr is zeroed when a Detection Time passes without packets;
    // the remote's timers are forgotten with it so we fall back to our own slow rate.
    this.remoteDiscr = 0
    this.remoteSessionState = State.Down
    this.remoteMinRxUs = 1
    this.remoteDesiredMinTxUs = 0
    this.remoteDetectMult = 0
    this.remoteDemand = false
    if (this.sessionState === State.Init || this.sessionState === State.Up) {
      this.setState(State.Down, Diag.ControlDetectionTimeExpired)
    }
    this.rescheduleTx()
  }

  /** May we send periodic packets now? (sec. 6.8.7) */
  private periodicAllowed(): boolean {
    if (!this.running) return false
    if (this.passive && this.remoteDiscr === 0) return false
    if (this.remoteMinRxUs === 0) return false
    // Demand mode is active on the remote: it asked us to stop periodic packets.
    if (
      this.remoteDemand &&
      this.sessionState === State.Up &&
      this.remoteSessionState === State.Up &&
      !this.pollActive
    ) {
      return false
    }
    return true
  }

  /** Re-arms the periodic timer if the interval got shorter than what is scheduled. */
  private rescheduleTx(): void {
    if (!this.periodicAllowed()) {
      this.txTimer?.cancel()
      this.txTimer = undefined
      return
    }
    const maxAt = this.clock.now() + this.currentTxUs() / 1000
    if (this.txTimer && this.txDueAt <= maxAt) return
    this.scheduleTx()
  }

  private scheduleTx(): void {
    this.txTimer?.cancel()
    this.txTimer = undefined
    if (!this.periodicAllowed()) return
    const delay = jitteredMs(this.currentTxUs(), this.params.detectMult, this.random)
    this.txDueAt = this.clock.now() + delay
    this.txTimer = this.clock.setTimer(delay, () => {
      this.txTimer = undefined
      this.transmit(false)
    })
  }

  /** Sends one packet now: a Final reply, or a periodic one (with P while polling). */
  private transmit(final: boolean): void {
    if (!this.running) return
    if (final || this.periodicAllowed()) this.sendPacket(final)
    if (!final) this.scheduleTx()
  }

  private sendPacket(final: boolean): void {
    const now = this.clock.now()
    const auth = this.auth
    if (auth) {
      // sec. 6.7.3/6.7.4: meticulous increments on every packet; keyed about once a second
      // (BIRD does the same), which the receiver's 3 x Detect Mult window tolerates.
      if (auth.meticulous || now - this.xmitAuthSeqAt >= 1000) {
        this.xmitAuthSeq = (this.xmitAuthSeq + 1) >>> 0
        this.xmitAuthSeqAt = now
      }
    }
    const buf = encodeControlPacket({
      diag: this.localDiag,
      state: this.sessionState,
      // sec. 6.5: never both P and F in one packet.
      poll: this.pollActive && !final,
      final,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: this.params.detectMult,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTxUs: this.advertisedTxUs(),
      requiredMinRxUs: us(this.params.requiredMinRxMs),
      requiredMinEchoRxUs: 0,
      ...(auth ? { auth: authSectionFor(auth, this.xmitAuthSeq) } : {}),
    })
    if (auth) signInPlace(buf, auth)
    try {
      this.sendFn(buf)
      this.counters.sent++
    } catch {
      this.counters.sendErrors++
    }
  }
}
