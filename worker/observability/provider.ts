/**
 * The tracer provider from the standard OpenTelemetry environment variables. Tracing is off
 * unless an OTLP endpoint is given (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT) or OTEL_TRACES_EXPORTER asks for one (`otlp`, `console`);
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off. Off means no provider:
 * the app runs on the API's no-op tracer. The SDK itself reads the rest: OTEL_SERVICE_NAME
 * and OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG) (sampler),
 * OTEL_EXPORTER_OTLP_(TRACES_)HEADERS / _TIMEOUT (exporter), OTEL_BSP_* (batching).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { ensureContextManager } from './context'

export type Env = Record<string, string | undefined>

/** Which exporter the environment asks for, or undefined for "tracing off". */
export function tracesExporterKind(env: Env): 'otlp' | 'console' | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined
  const wanted = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim().toLowerCase()
  if (wanted === 'none') return undefined
  if (wanted === 'console') return 'console'
  if (wanted === 'otlp') return 'otlp'
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? 'otlp'
    : undefined
}

export function tracerProviderFromEnv(
  env: Env,
  service: { name: string; version: string },
): BasicTracerProvider | undefined {
  const kind = tracesExporterKind(env)
  if (!kind) return undefined
  // The OTLP exporter reads its endpoint, headers and timeout from the environment itself.
  const exporter: SpanExporter =
    kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter()
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: service.name,
    [ATTR_SERVICE_VERSION]: service.version,
  }).merge(detectResources({ detectors: [envDetector] }))
  ensureContextManager()
  return new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] })
}
