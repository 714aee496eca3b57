/**
 * Keeps the control plane reachable: its address is routed (a `to` rule just past the mesh
 * engine's rule range) through an uplink whose BFD sessions are up, so reports still reach
 * it when the main table's default uplink is dead but its link is not down. The rule stays
 * on its uplink while that is up (no flapping between equal uplinks), else moves to the
 * lowest uplink that is up; with none up there is no rule (the main table decides).
 */
import type { Logger } from '../logger'
import type { RuleSpec } from '../routing/types'
import type { UplinkState } from './report'

export interface ControlPlaneRuleOptions {
  /** The control plane's address; absent or IPv6: no rule. */
  address: string | undefined
  priority: number
  /** Uplink slot i's table is uplinkTableBase + i (the mesh engine's uplink tables). */
  uplinkTableBase: number
  logger: Logger
}

export class ControlPlaneRule {
  readonly #o: ControlPlaneRuleOptions
  #slot: number | undefined

  constructor(options: ControlPlaneRuleOptions) {
    this.#o = options
  }

  /** The rule wanted for these uplink states (zero or one). */
  rules(states: ReadonlyMap<number, UplinkState>): RuleSpec[] {
    const { address } = this.#o
    if (!address || address.includes(':')) return []
    const current = this.#slot
    let slot: number | undefined
    if (current !== undefined && states.get(current) === 'up') slot = current
    else
      slot = [...states]
        .filter(([, s]) => s === 'up')
        .map(([k]) => k)
        .sort((a, b) => a - b)[0]
    if (slot !== current) {
      this.#o.logger.info({ slot: slot ?? null, address }, 'control plane traffic via uplink')
      this.#slot = slot
    }
    if (slot === undefined) return []
    return [
      {
        priority: this.#o.priority,
        table: this.#o.uplinkTableBase + slot,
        to: `${address}/32`,
        family: 4,
      },
    ]
  }
}
