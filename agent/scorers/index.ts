export { FALLBACK_QUIET_MS, FallbackLog, fallbackEvent } from './fallbacks'
export {
  SCORER_RETRY_MS,
  ScorerManager,
  type ScorerManagerOptions,
  type ScorerObserver,
} from './manager'
export { registerScorerMetrics } from './metrics'
export { MAX_RESTART_MS, PluginRuntime, RESTART_MS } from './runtime'
export {
  DEFAULT_BUDGET_MS,
  DEFAULT_LOAD_TIMEOUT_MS,
  DEFAULT_RESOURCE_LIMITS,
  type FailureReason,
  PluginSandbox,
} from './sandbox'
export { ScorerStore } from './store'
export { type ScorerWiring, scorersStage, wireScorers } from './wiring'
