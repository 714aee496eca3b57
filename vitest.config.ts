import { defineConfig } from 'vitest/config'

// Node-runtime tests: unit tests beside the code, plus test/ suites that run in Node.
// The workerd suite has its own config (vitest.workers.config.ts).
export default defineConfig({
  test: {
    include: ['{worker,protocol,agent,wasm,test,bench,scripts}/**/*.test.ts'],
    exclude: ['test/workers/**', 'test/lab/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
