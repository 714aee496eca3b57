/**
 * `npm start`: the single-machine install. Embedded libSQL file by default, listening on
 * 127.0.0.1:8787. SIGTERM/SIGINT: long-polls answer 304 at once, in-flight requests and
 * the webhook attempt in flight finish, the database closes, exit 0 (within a second when
 * idle); the drain deadline below is only a backstop for a request that never ends.
 */
import pino from 'pino'
import { loadNodeConfig } from './config'
import type { Logger } from './logger'
import { traceLogFields } from './observability/logging'
import { tracerProviderFromEnv } from './observability/provider'
import { startNodeServer } from './server'
import { APP_VERSION } from './version'

const DRAIN_DEADLINE_MS = 10_000

async function main() {
  const config = loadNodeConfig(process.env)
  // Lines written inside a span carry its trace_id and span_id.
  const logger: Logger = pino({
    level: config.LOG_LEVEL,
    base: { service: 'patronus-control' },
    mixin: traceLogFields,
  })
  // Off unless an OTLP endpoint (or OTEL_TRACES_EXPORTER) is set: docs/observability.md.
  const tracerProvider = tracerProviderFromEnv(process.env, {
    name: 'patronus-control',
    version: APP_VERSION,
  })
  const server = await startNodeServer(config, logger, undefined, {
    ...(tracerProvider ? { tracerProvider } : {}),
  })
  if (tracerProvider) logger.info({}, 'tracing on: spans exported over OTLP/HTTP')
  if (server.generatedBootstrapToken) {
    // Printed once, to stdout, as the README's quick start says; it is stored only hashed.
    process.stdout.write(
      `\nFirst start: created org "default" with an instance-admin API token (shown once):\n\n  ${server.generatedBootstrapToken}\n\n`,
    )
  }
  process.stdout.write(`Patronus control plane listening on ${server.url}\n`)
  process.stdout.write(`API docs: ${server.url}/docs  OpenAPI: ${server.url}/openapi.json\n`)

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'draining')
    const timer = setTimeout(() => {
      logger.warn({}, 'drain deadline passed; exiting')
      process.exit(0)
    }, DRAIN_DEADLINE_MS)
    timer.unref()
    server
      .close()
      .then(() => tracerProvider?.shutdown())
      .catch(() => {})
      .then(() => process.exit(0))
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  process.stderr.write(`patronus: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
