/**
 * The first step of `npm test` (the `pretest` script): checks that the machine has what the
 * suites need and, as root on Debian, installs what is missing. Silent when all is there.
 * The decisions are in test-prerequisites.ts; this file only touches the real machine.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensurePrerequisites, type Machine, type Probe } from './test-prerequisites.ts'

const SETUP_SCRIPT = fileURLToPath(new URL('setup-debian.sh', import.meta.url))

/** `command -v` without a shell: an executable file of that name in a PATH directory. */
function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {}
  }
  return false
}

const machine: Machine = {
  isRoot: process.getuid?.() === 0,
  isDebian: existsSync('/etc/debian_version'),
  present: (probe: Probe) => ('command' in probe ? onPath(probe.command) : existsSync(probe.file)),
}

const code = await ensurePrerequisites(machine, {
  say: (line) => console.error(line),
  runSetup: () =>
    new Promise((resolve) => {
      const child = spawn('bash', [SETUP_SCRIPT, '--quiet'], { stdio: 'inherit' })
      child.on('error', () => resolve(127))
      child.on('exit', (status) => resolve(status ?? 1))
    }),
})
process.exit(code)
