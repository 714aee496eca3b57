/**
 * The API suite inside workerd: requests go to the Worker's real fetch handler, which
 * reaches the sqld server started by vitest.workers.config.ts over the libSQL HTTP client.
 */
import { env, SELF } from 'cloudflare:test'
import { apiSuites } from '../api/suites'

const target = {
  adminToken: (env as unknown as { PATRONUS_BOOTSTRAP_TOKEN: string }).PATRONUS_BOOTSTRAP_TOKEN,
  fetch: (path: string, init?: RequestInit) => SELF.fetch(`http://patronus.test${path}`, init),
}

apiSuites(() => target)
