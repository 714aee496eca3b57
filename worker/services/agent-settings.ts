/**
 * Defaults every agent receives in its desired state. Production values; the WAN lab
 * overrides probe timers in its own documents.
 */
export const AGENT_SETTINGS = {
  wireguard: {
    basePort: 51820,
    // Short keepalives keep every path's session warm, so a path switch needs no handshake
    // (docs/architecture.md, "Every path warm"); 5 s is well inside NAT mapping timeouts.
    keepaliveSeconds: 5,
    // 1500-byte uplinks minus WireGuard's worst-case IPv6 overhead (80 bytes).
    mtu: 1420,
  },
  probes: { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: 50 },
  failover: { holdDownMs: 1000, failbackAfterMs: 10_000, hysteresisPct: 10 },
  heartbeatIntervalSeconds: 30,
} as const

/** A site is offline after this many missed heartbeats. */
export const MISSED_HEARTBEATS_OFFLINE = 3

const OFFLINE_AFTER_MS = MISSED_HEARTBEATS_OFFLINE * AGENT_SETTINGS.heartbeatIntervalSeconds * 1000

/** Online = a heartbeat within the last MISSED_HEARTBEATS_OFFLINE intervals. */
export function isOnline(lastSeenAt: number | null, now: number): boolean {
  return lastSeenAt !== null && now - lastSeenAt < OFFLINE_AFTER_MS
}
