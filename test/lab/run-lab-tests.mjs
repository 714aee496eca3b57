#!/usr/bin/env node
// Entry point of `npm run test:lab`. The lab needs root and a few Debian tools; run by
// anyone else it says loudly that nothing ran (and exits 0), as root a missing tool fails.
import { spawn, spawnSync } from 'node:child_process'

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

// A lab run has hung once (its test worker blocked in a futex, every test timer silent), and
// CI would then sit out its whole 90 minutes. So each attempt has a deadline: past it the
// whole process group is killed, loudly, and the suite runs once more (the next run's
// cleanupStale removes what the killed run left in its namespaces).
const DEADLINE_MS = Number(process.env.LAB_DEADLINE_MS ?? 10 * 60_000)

function attempt() {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--config', 'vitest.lab.config.ts'], {
      stdio: 'inherit',
      detached: true,
    })
    const timer = setTimeout(() => {
      console.error(`\n!!  WAN lab: no result after ${DEADLINE_MS / 1000} s; killing the run.\n`)
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      resolve('hung')
    }, DEADLINE_MS)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve(code ?? 1)
    })
  })
}

const first = await attempt()
if (first !== 'hung') process.exit(first)
console.error('!!  WAN lab: the first run hung (see above); running the suite once more.')
const second = await attempt()
process.exit(second === 'hung' ? 1 : second)
