export { EPISODE_QUIET_MS, PredictionEpisodes } from './events'
export { FEATURE_COUNT, FEATURE_NAMES, PathFeatureWindow, type ProbeSample } from './features'
export {
  type FetchModel,
  MODEL_RETRY_MS,
  type ModelBundle,
  ModelManager,
  type ModelStatus,
} from './manager'
export { registerPredictorMetrics } from './metrics'
export {
  loadModel,
  ModelError,
  type ModelManifest,
  modelManifestSchema,
  type PredictionModel,
  parseManifest,
  sha256Hex,
} from './model'
export { PREDICT_INTERVAL_MS, Predictor } from './predictor'
export { predictionStage } from './stage'
