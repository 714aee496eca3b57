import { defineConfig } from 'vitest/config'

// Node-runtime tests: unit tests beside the code, plus test/ suites that run in Node.
// The workerd suite and the browser suite have their own configs (vitest.workers.config.ts,
// vitest.ui.config.ts).
export default defineConfig({
  test: {
    include: ['{worker,protocol,agent,wasm,test,bench,scripts,models,ui,cli}/**/*.test.ts'],
    exclude: ['test/workers/**', 'test/lab/**', 'test/ui/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
