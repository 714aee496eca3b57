export {
  DEFAULT_DEADLINE_MS,
  DEFAULT_K,
  DEFAULT_MAX_OPEN_BLOCKS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_RECEIVER_HOLD_MS,
  DEFAULT_WINDOW_BLOCKS,
} from './defaults'
export { OPTIMIZER_METRIC_PREFIX, OptimizerMetrics } from './metrics'
export { OptimizerReceiver, type OptimizerReceiverConfig } from './receiver'
export {
  parityFor,
  REDUNDANCY_LEVELS,
  RedundancyController,
  type RedundancyControllerConfig,
} from './redundancy'
export {
  type OptimizerCode,
  type OptimizerOptions,
  OptimizerSender,
  type OptimizerSenderConfig,
} from './sender'
export {
  type DropCounts,
  emptyReceiverStats,
  emptySenderStats,
  type ReceiverStats,
  type SenderStats,
} from './stats'
export {
  kernelTunDevices,
  OptimizerTunnel,
  type OptimizerTunnelOptions,
  type PathView,
  type TunDevices,
  type TunLike,
  type TunnelDrops,
  type TunnelState,
} from './tunnel'
export { registerOptimizerMetrics, withOptimizer } from './tunnel-wiring'
