export { type AgentTracing, startAgentTracing, tracesExporterKind } from './provider'
export { AGENT_TRACER_NAME, type TracingOptions, tracedFetch, withSpan } from './tracing'
