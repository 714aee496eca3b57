export { choosePathWithPlugin, type PluginChoice } from './custom.js'
export { exampleComponentPath } from './example.js'
export {
  type LoadOptions,
  loadScorerPlugin,
  PluginError,
  type PluginErrorCode,
  type ScorerMetrics,
  type ScorerPlugin,
} from './loader.js'
