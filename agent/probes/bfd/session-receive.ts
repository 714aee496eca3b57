/**
 * What a control packet that reached a session means (RFC 5880 sec. 6.8.6), as pure
 * functions: whether the session accepts it (A bit, authentication) and which state it
 * moves the session to. Kept apart from session.ts so that file holds only the session's
 * state and timers, while the reception rules can be read against the RFC on their own.
 */
import { type AuthRxState, checkAuth, type ResolvedAuth } from './auth'
import { Diag, State } from './constants'
import type { DropReason } from './counters'
import type { ControlPacket } from './packet'

/**
 * The authentication part of sec. 6.8.6: null when the packet passes (and `authRx` was
 * advanced), else the drop reason. `staleAfterMs` is as for checkAuth().
 */
export function checkReceivedAuth(
  packet: ControlPacket,
  raw: Uint8Array,
  auth: ResolvedAuth | undefined,
  authRx: AuthRxState,
  now: number,
  staleAfterMs: number,
): DropReason | null {
  // sec. 6.8.6: the A bit must match whether this session uses authentication.
  if (packet.auth && !auth) return 'authUnexpected'
  if (!packet.auth && auth) return 'authMissing'
  if (!auth) return null
  return checkAuth(raw, packet, auth, authRx, now, staleAfterMs)
}

export interface Transition {
  to: State
  diag: number
}

/**
 * The sec. 6.8.6 state machine (figure in sec. 6.2) for an accepted packet: the state the
 * session moves to given its own and the remote's, or null when it stays. Never called in
 * AdminDown, where packets are dropped before this point.
 */
export function transitionOnReceive(local: State, remote: State): Transition | null {
  if (remote === State.AdminDown) {
    if (local !== State.Down) return { to: State.Down, diag: Diag.NeighborSignaledSessionDown }
  } else if (local === State.Down) {
    if (remote === State.Down) return { to: State.Init, diag: Diag.None }
    if (remote === State.Init) return { to: State.Up, diag: Diag.None }
  } else if (local === State.Init) {
    if (remote === State.Init || remote === State.Up) return { to: State.Up, diag: Diag.None }
  } else if (remote === State.Down) {
    return { to: State.Down, diag: Diag.NeighborSignaledSessionDown }
  }
  return null
}
