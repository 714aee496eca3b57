export {
  classesFromDesiredState,
  DEFAULT_CLASS,
  DEFAULT_CLASS_ID,
  type PathAttributes,
  pathsFromDesiredState,
} from './classes'
export { type DampingSettings, DEFAULT_DAMPING, FlapDamper } from './damping'
export { buildPathInputs, type QualitySample } from './inputs'
export {
  type BatchScorer,
  betterBy,
  PREFERENCE_WEIGHTS,
  scoreAll,
  scorerInput,
  slaExcess,
  UNMEASURED,
} from './scoring'
export { PathSelector, type PathSelectorOptions } from './selector'
export * from './types'
