import { defineConfig } from 'vitest/config'

// The dashboard in a real browser (Debian chromium via playwright-core) against a real
// Node control plane. One fork: one browser at a time on a shared machine.
export default defineConfig({
  test: {
    include: ['test/ui/**/*.test.ts'],
    globalSetup: ['test/ui/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
})
