/**
 * The security suite (test/security/suites.ts) inside workerd, against the real Worker
 * behind its static assets (wrangler.toml [assets], dist/ui with its `_headers` file), as a
 * deployment answers: what an anonymous visitor reaches includes the dashboard's files,
 * which Workers serve without running the Worker.
 *
 * `SELF` calls the Worker's default export directly and skips the asset router, so reads
 * use the pool's own service binding to the current Worker, which miniflare routes through
 * the asset router when the project has assets (@cloudflare/vitest-pool-workers 0.15).
 * Writes go to `SELF`: assets only answer GET and HEAD, and a body sent through that proxy
 * to a Worker that refuses it unread (a 403) raises an uncaught "Can't read from request
 * stream after response has been sent" in workerd.
 */
import { env, SELF } from 'cloudflare:test'
import { securitySuites } from '../security/suites'

const bindings = env as unknown as {
  PATRONUS_BOOTSTRAP_TOKEN: string
  __VITEST_POOL_WORKERS_SELF_SERVICE?: Fetcher
}
const front = bindings.__VITEST_POOL_WORKERS_SELF_SERVICE
if (!front) {
  throw new Error('no __VITEST_POOL_WORKERS_SELF_SERVICE binding: did the pool rename it?')
}

const target = {
  adminToken: bindings.PATRONUS_BOOTSTRAP_TOKEN,
  fetch: (path: string, init?: RequestInit) => {
    const method = (init?.method ?? 'GET').toUpperCase()
    const via = method === 'GET' || method === 'HEAD' ? front : SELF
    return via.fetch(`http://patronus.test${path}`, init)
  },
}

securitySuites(() => target)
