export { RouteApplier, type WantedRoute } from './apply'
export { BfdSet, type OpenTransport, udpMultihop } from './bfd-set'
export { type ClassRules, classRules, MAX_RULES_PER_CLASS } from './class-rules'
export { ControlPlaneRule } from './control-plane-rule'
export { type MeasuredPaths, PathDecider, type PathDeciderOptions } from './decide'
export { decisionEvent, livenessEvent, sampleOf } from './events'
export { HANDSHAKE_MARGIN_MS, HANDSHAKE_WINDOW_MS, TunnelWatch } from './liveness'
export {
  type BfdVerdict,
  PathMeasurement,
  type PathMeasurementOptions,
  type PathState,
  TUNNEL_POLL_MS,
} from './measure'
export { registerMonitorMetrics } from './metrics'
export { PathMonitor, type PathMonitorOptions } from './monitor'
export { EVENT_QUEUE_MAX, PathReport, type UplinkState, uplinkStates } from './report'
export { monitorStage } from './stage'
export { type PathTarget, pathTargets } from './targets'
