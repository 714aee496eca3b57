export { preciseSystemClock } from './clock'
export { type DropCounts, emptyDrops } from './drops'
export {
  delayImpairment,
  type EModelInput,
  estimateMos,
  lossImpairment,
  mosFromR,
  oneWayDelayMs,
  rFactor,
} from './emodel'
export { type Datagram, MemoryNetwork, type MemoryNetworkOptions } from './memory-socket'
export {
  type PathQuality,
  type ProbePathRef,
  type QualityPath,
  QualityProber,
  type QualityProberOptions,
} from './prober'
export { ReplayGuard, ReplayWindow } from './replay'
export {
  QUALITY_PROBE_PORT,
  QualityResponder,
  type QualityResponderOptions,
  type ResponderListen,
} from './responder'
export {
  type BindOptions,
  type ProbeSocket,
  type ProbeSocketFactory,
  type Remote,
  udpSocketFactory,
} from './socket'
export {
  DEFAULT_STATS_OPTIONS,
  LOSS_WINDOWS,
  type LossWindow,
  type PathQualityStats,
  PathStatsTracker,
  type StatsOptions,
} from './stats'
export {
  type DecodeResult,
  DROP_REASONS,
  type DropReason,
  decodeProbe,
  encodeProbe,
  PROBE_LENGTH,
  PROBE_VERSION,
  type ProbePacket,
  precheckProbe,
} from './wire'
