#!/usr/bin/env node
// Entry point of `npm run test:lab`. The lab needs root and a few Debian tools; run by
// anyone else it says loudly that nothing ran (and exits 0), as root a missing tool fails.
import { spawnSync } from 'node:child_process'

const TOOLS = ['ip', 'nft', 'tc', 'wireguard-go', 'wg', 'ping']

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  const bar = '!'.repeat(72)
  console.error(
    [
      bar,
      '!!  WAN LAB TESTS WERE NOT RUN: they need root (network namespaces).',
      '!!  Nothing in test/lab/ was checked by this run.',
      '!!  To run them:   sudo npm run test:lab',
      '!!  First setup:   sudo scripts/setup-debian.sh',
      bar,
    ].join('\n'),
  )
  process.exit(0)
}

const missing = TOOLS.filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
)
if (missing.length > 0) {
  console.error(
    `WAN lab: missing tool(s): ${missing.join(', ')}. Install them with: sudo scripts/setup-debian.sh`,
  )
  process.exit(1)
}

const result = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.lab.config.ts'], {
  stdio: 'inherit',
})
process.exit(result.status ?? 1)
