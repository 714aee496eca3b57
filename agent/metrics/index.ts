export {
  DEFAULT_METRICS_LISTEN,
  type ListenAddress,
  ListenParseError,
  parseListen,
} from './listen'
export {
  type PathMetrics,
  type PathMetricsSource,
  RTT_BUCKETS,
  registerPathMetrics,
} from './path-metrics'
export { type MetricsServer, startMetricsServer } from './server'
