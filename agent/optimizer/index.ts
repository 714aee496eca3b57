export {
  DEFAULT_DEADLINE_MS,
  DEFAULT_K,
  DEFAULT_MAX_OPEN_BLOCKS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_RECEIVER_HOLD_MS,
  DEFAULT_WINDOW_BLOCKS,
} from './codec/defaults'
export { OPTIMIZER_METRIC_PREFIX, OptimizerMetrics } from './codec/metrics'
export { OptimizerReceiver, type OptimizerReceiverConfig } from './codec/receiver'
export {
  parityFor,
  REDUNDANCY_LEVELS,
  RedundancyController,
  type RedundancyControllerConfig,
} from './codec/redundancy'
export {
  type OptimizerCode,
  type OptimizerOptions,
  OptimizerSender,
  type OptimizerSenderConfig,
} from './codec/sender'
export {
  type DropCounts,
  emptyReceiverStats,
  emptySenderStats,
  type ReceiverStats,
  type SenderStats,
} from './codec/stats'
export {
  kernelTunDevices,
  OptimizerTunnel,
  type OptimizerTunnelOptions,
  type PathView,
  type TunDevices,
  type TunLike,
  type TunnelDrops,
  type TunnelState,
} from './tunnel/tunnel'
export { optimizerStage, registerOptimizerMetrics } from './tunnel/wiring'
