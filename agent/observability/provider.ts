/**
 * Agent tracing from the standard OpenTelemetry environment variables, registered as the
 * process's global provider so tracedFetch and withSpan need no argument. Off (no provider,
 * the API's no-op tracer) unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT or
 * OTEL_TRACES_EXPORTER=otlp|console is set; OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none keep it off. The SDK reads OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_* and OTEL_BSP_*.
 */
import { context, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { AGENT_VERSION } from '../version'
import { AsyncLocalStorageContextManager } from './context'

export interface AgentTracing {
  enabled: boolean
  /** Flushes buffered spans; call once on shutdown. */
  shutdown(): Promise<void>
}

export function tracesExporterKind(
  env: Record<string, string | undefined>,
): 'otlp' | 'console' | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined
  const wanted = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim().toLowerCase()
  if (wanted === 'none') return undefined
  if (wanted === 'console' || wanted === 'otlp') return wanted
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? 'otlp'
    : undefined
}

export function startAgentTracing(env: Record<string, string | undefined>): AgentTracing {
  const kind = tracesExporterKind(env)
  if (!kind) return { enabled: false, shutdown: async () => {} }
  const exporter = kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter()
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'patronus-agent',
    [ATTR_SERVICE_VERSION]: AGENT_VERSION,
  }).merge(detectResources({ detectors: [envDetector] }))
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
  trace.setGlobalTracerProvider(provider)
  return { enabled: true, shutdown: () => provider.shutdown() }
}
