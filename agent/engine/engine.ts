/**
 * The engine: the one place desired state becomes forwarding state (docs/house-style.md rule 6,
 * Tailscale's Engine.Reconfig). Backends (recording now; WireGuard + routing next) share
 * this interface, so the daemon neither knows nor cares which one it drives.
 *
 * Contract: `reconfig` is idempotent (the same document twice changes nothing the second
 * time) and converges from whatever the previous call left; `close` is idempotent and
 * leaves the host as it was before the first reconfig.
 */
import type { DesiredState } from '../../protocol/agent'

export interface Engine {
  reconfig(desired: DesiredState): Promise<void>
  close(): Promise<void>
}
