/**
 * The public shapes of a BFD session: what it is built from (options, injected
 * dependencies) and what it reports (state-change events, snapshots). Kept apart from
 * session.ts so that file holds only the state machine; session.ts re-exports them, so
 * importers keep using './session'.
 */
import type { AuthConfig } from './auth'
import type { BfdClock } from './clock'
import type { StateName } from './constants'
import type { BfdCounters } from './counters'
import type { SessionParameters } from './parameters'

export interface SessionOptions extends Partial<SessionParameters> {
  /** bfd.LocalDiscr: nonzero, unique on this endpoint. */
  localDiscriminator: number
  auth?: AuthConfig
  /** sec. 6.1: a passive session sends nothing until it has heard from the remote. */
  passive?: boolean
  /** Start in AdminDown instead of Down. */
  adminDown?: boolean
}

export interface SessionDeps {
  clock: BfdClock
  send: (packet: Buffer) => void
  random?: () => number
  counters?: BfdCounters
}

export interface StateChange {
  from: StateName
  to: StateName
  diag: number
  at: number
}

export interface SessionSnapshot {
  state: StateName
  localDiag: number
  localDiscriminator: number
  remoteDiscriminator: number
  remoteState: StateName
  txIntervalMs: number
  detectionTimeMs: number
  pollActive: boolean
}
