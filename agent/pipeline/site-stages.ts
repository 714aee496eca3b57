/**
 * The order of the running agent's stages, in one place. The running agent (agent/cli/
 * mesh.ts) builds the parts over the real platform; the pipeline's unit tests build them
 * over the memory fakes; both compose them here, so the tests exercise the same order.
 *
 * routing (uplink tables, rules, forwarding) -> tunnels (WireGuard interfaces) -> overlay
 * (mesh routes) -> scorers (tells the plugin manager what the plan names, before the
 * monitor's first evaluation; closed after the monitor) -> monitor (BFD, probes, decisions:
 * the tunnels must exist) -> prediction (reads the monitor) -> classifier (its marks point
 * at the class tables the monitor fills) -> dataplane (ECMP and shaping act on the marks) -> optimizer (last: it sends over the
 * decided paths; on close it goes first, so its classes fall back to the plain tunnels).
 */
import { type MeshStagesOptions, meshStages } from '../mesh'
import type { Stage } from './stage'

export interface SiteStageParts {
  mesh: MeshStagesOptions
  scorers?: Stage | undefined
  monitor?: Stage | undefined
  prediction?: Stage | undefined
  classifier?: Stage | undefined
  dataplane?: Stage | undefined
  optimizer?: Stage | undefined
}

export function siteStages(parts: SiteStageParts): Stage[] {
  const later = [
    parts.scorers,
    parts.monitor,
    parts.prediction,
    parts.classifier,
    parts.dataplane,
    parts.optimizer,
  ]
  return [...meshStages(parts.mesh), ...later.filter((s): s is Stage => s !== undefined)]
}
