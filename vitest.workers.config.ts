import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { startSqld } from './test/workers/sqld.ts'

// The API suite inside workerd (the real Workers runtime), against a real libSQL server:
// the Worker's own entry point (wrangler.toml `main`) answers SELF.fetch.
export default defineConfig(async () => {
  const sqld = await startSqld()
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            DATABASE_URL: sqld.url,
            PATRONUS_BOOTSTRAP_TOKEN: 'workers-instance-admin-token-0123456789',
            CONFIG_POLL_INTERVAL_MS: '200',
          },
        },
      }),
    ],
    test: {
      include: ['test/workers/**/*.test.ts'],
      testTimeout: 30_000,
      // A hung request must fail the run, not hang it.
      teardownTimeout: 10_000,
    },
  }
})
