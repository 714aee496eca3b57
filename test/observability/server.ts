/**
 * A real Node control plane (startNodeServer over an embedded database in a temporary
 * directory) for the observability suites, with its HTTP API as an ApiTarget.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TracerProvider } from '@opentelemetry/api'
import { loadNodeConfig } from '../../worker/config'
import { type Logger, silentLogger } from '../../worker/logger'
import { type RunningServer, startNodeServer } from '../../worker/server'
import type { ApiTarget } from '../api/harness'

export const ADMIN_TOKEN = 'observability-admin-token-0123456789'
export const METRICS_TOKEN = 'observability-metrics-token-0123456789'

export interface TestServer {
  server: RunningServer
  target: ApiTarget
  close(): Promise<void>
}

export async function startTestServer(
  options: { logger?: Logger; tracerProvider?: TracerProvider } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-obs-'))
  const config = loadNodeConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'test.db')}`,
    PATRONUS_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    PATRONUS_METRICS_TOKEN: METRICS_TOKEN,
  })
  const server = await startNodeServer(config, options.logger ?? silentLogger, undefined, {
    ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
  })
  return {
    server,
    target: {
      adminToken: ADMIN_TOKEN,
      fetch: (path, init) => fetch(`${server.url}${path}`, init),
    },
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
