import { defineConfig } from 'vitest/config'

// WAN lab suites (network namespaces, root): run by test/lab/run-lab-tests.mjs. One worker,
// files in sequence: lab runs share the host's /var/run/wireguard and must not overlap.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.lab.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
})
