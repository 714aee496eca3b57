/**
 * The pipeline: the one place desired state becomes forwarding state (Tailscale's
 * Engine.Reconfig). Two implementations share this interface, so the daemon neither knows
 * nor cares which one it drives: the staged pipeline of the running agent (stages.ts:
 * plan once, apply tunnels, routing, path monitor, ... in order) and the recording one of
 * `--dry-run` (recording.ts).
 *
 * Contract: `reconfig` is idempotent (the same document twice changes nothing the second
 * time) and converges from whatever the previous call left; `close` is idempotent and
 * leaves the host as it was before the first reconfig.
 */
import type { DesiredState } from '../../protocol/agent'

export interface Pipeline {
  reconfig(desired: DesiredState): Promise<void>
  close(): Promise<void>
}
