export {
  type ClassWeights,
  METRIC_ORDER,
  type PathMetrics,
  packWeights,
  type ScoreResult,
  scorePaths,
} from './score.js'
