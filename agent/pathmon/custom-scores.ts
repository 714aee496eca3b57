/**
 * What the path monitor needs from the custom scorers (agent/scorers implements it): before
 * each evaluation, the plugins' scores put onto the path inputs (PathInput.customScores),
 * within the plugins' time budgets, and the events of that round. An interface, so pathmon
 * does not depend on worker threads or jco; the path selector stays synchronous and pure.
 */
import type { AgentEvent } from '../../protocol/telemetry'
import type { PathInput } from '../decision'

export interface CustomScores {
  /** Adds the scores to `inputs` in place; never rejects; the events to queue. */
  annotate(inputs: PathInput[], now: number): Promise<AgentEvent[]>
}
