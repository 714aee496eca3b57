/**
 * Serving agents one protocol version back (docs/protocol.md, "Versions and changelog").
 * An agent names its version in every request (PROTOCOL_HEADER; absent: 1, the agents
 * older than the header), and the control plane answers it in that version.
 *
 * From v1 to v2 every addition to what the control plane *sends* is optional, but a v1
 * agent parses policy actions, matches and SLAs with strict schemas: one key it does not
 * know (a policy's `qos`, `balance` or `predictive`) makes it refuse the whole desired
 * state and keep running the one it has. So a v1 agent gets the v1 document: those objects
 * cut down to the keys v1 defined (an allowlist, so keys a later version adds are cut too),
 * no `model` or `scorers` (v1 agents run no predictor and no plugin), no operator
 * `applications` (v1 agents know only the builtin and default ones), `protocolVersion: 1`. A v1 site therefore routes
 * by its policies without their shaping, per-packet balancing or predictive moves until its
 * agent is upgraded.
 *
 * What v1 agents *send*, v2 still accepts (its additions there are optional). Their
 * batches of up to MAX_EVENTS_PER_BATCH_V1 events are taken and written
 * MAX_EVENTS_PER_BATCH per transaction (routes/telemetry.ts, services/agent-events.ts);
 * only the rules v2 tightened for safety (the claimed endpoint grammar, the details keys
 * the control plane derives) apply to them as well.
 */
import type { DesiredState } from '../../protocol/agent'
import { MAX_EVENTS_PER_BATCH, MAX_EVENTS_PER_BATCH_V1 } from '../../protocol/batch-limits'
import type { PolicyAction, PolicyMatch } from '../../protocol/policy'
import { OLDEST_SERVED_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../protocol/version'

/** The versions this control plane answers, newest first. */
export const SERVED_PROTOCOL_VERSIONS: readonly number[] = Array.from(
  { length: PROTOCOL_VERSION - OLDEST_SERVED_PROTOCOL_VERSION + 1 },
  (_, i) => PROTOCOL_VERSION - i,
)

/** Keys of the strict objects of a v1 desired state (the v1 schemas, protocol at v1). */
const V1_ACTION_KEYS = ['preference', 'scorer', 'sla', 'fec', 'compression'] as const
const V1_MATCH_KEYS = [
  'applications',
  'protocols',
  'ports',
  'dscp',
  'sourcePrefixes',
  'destinationPrefixes',
  'siteLabels',
] as const
const V1_SLA_KEYS = ['maxLatencyMs', 'maxJitterMs', 'maxLossPct'] as const

function pick<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => keys.includes(key)),
  ) as Partial<T>
}

function v1Action(action: PolicyAction): PolicyAction {
  const kept = pick(action, V1_ACTION_KEYS) as PolicyAction
  return action.sla ? { ...kept, sla: pick(action.sla, V1_SLA_KEYS) } : kept
}

/** v1: policies cut to the v1 keys, no model, scorers or applications (module comment). */
function desiredStateV1(state: DesiredState): DesiredState {
  const { model: _model, applications: _applications, scorers: _scorers, ...v1 } = state
  return {
    ...(v1 as DesiredState),
    protocolVersion: 1,
    policies: state.policies.map((policy) => ({
      ...policy,
      match: pick(policy.match, V1_MATCH_KEYS) as PolicyMatch,
      action: v1Action(policy.action),
    })),
  }
}

/**
 * How each older served version gets the current document. Bumping PROTOCOL_VERSION
 * makes the version before it served: it needs its entry here (protocol-compat.test.ts).
 */
export const DESIRED_STATE_DOWNGRADES: Readonly<
  Record<number, (state: DesiredState) => DesiredState>
> = { 1: desiredStateV1 }

/** The desired state as an agent of `version` must receive it (a served version). */
export function desiredStateFor(state: DesiredState, version: number): DesiredState {
  if (version === PROTOCOL_VERSION) return state
  const downgrade = DESIRED_STATE_DOWNGRADES[version]
  if (!downgrade) throw new Error(`no desired state for protocol v${version}`)
  return downgrade(state)
}

/** Most events one request may carry from an agent of `version`. */
export function maxEventsPerBatch(version: number): number {
  return version >= 2 ? MAX_EVENTS_PER_BATCH : MAX_EVENTS_PER_BATCH_V1
}
