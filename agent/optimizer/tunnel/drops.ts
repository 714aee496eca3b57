/**
 * The optimizer tunnel's own drop counters, shared by its send and receive paths (the codec's
 * drops are its own metrics, stats.ts); exported on /metrics by wiring.ts.
 */

/** Packets the tunnel itself dropped, by reason. */
export interface TunnelDrops {
  /** Read from a class TUN but not IPv4. */
  not_ipv4: number
  /** Destination in no peer's prefixes (a stale route). */
  no_peer: number
  /** No path was ever decided for the class nor the default class to the peer. */
  no_path: number
  /** sendto refused the datagram (buffer full, interface gone). */
  send_error: number
  /** A datagram from an address that is no peer's overlay address. */
  unknown_source: number
  /** A rebuilt packet whose source is outside the sending peer's prefixes. */
  spoofed_source: number
  /** The receive TUN refused a rebuilt packet. */
  tun_write_error: number
}

export const emptyTunnelDrops = (): TunnelDrops => ({
  not_ipv4: 0,
  no_peer: 0,
  no_path: 0,
  send_error: 0,
  unknown_source: 0,
  spoofed_source: 0,
  tun_write_error: 0,
})
