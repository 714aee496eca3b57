/** The security suite (test/security/suites.ts) inside workerd, against the real Worker. */
import { env, SELF } from 'cloudflare:test'
import { securitySuites } from '../security/suites'

const target = {
  adminToken: (env as unknown as { PATRONUS_BOOTSTRAP_TOKEN: string }).PATRONUS_BOOTSTRAP_TOKEN,
  fetch: (path: string, init?: RequestInit) => SELF.fetch(`http://patronus.test${path}`, init),
}

securitySuites(() => target)
