import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ensurePrerequisites,
  type Machine,
  type Probe,
  planPrerequisites,
  REQUIREMENTS,
  SETUP_COMMAND,
} from './test-prerequisites.ts'

const key = (probe: Probe) => ('command' in probe ? probe.command : probe.file)

/** A machine with everything but the named packages; `install` puts packages on it. */
function fakeMachine(opts: { root: boolean; debian: boolean; missing: string[] }) {
  const absent = new Set(
    REQUIREMENTS.filter((r) => opts.missing.includes(r.pkg)).map((r) => key(r.probe)),
  )
  const machine: Machine = {
    isRoot: opts.root,
    isDebian: opts.debian,
    present: (probe) => !absent.has(key(probe)),
  }
  const install = (pkgs: string[]) => {
    for (const r of REQUIREMENTS) if (pkgs.includes(r.pkg)) absent.delete(key(r.probe))
  }
  return { machine, install }
}

function recorder(runSetup: () => Promise<number>) {
  const lines: string[] = []
  let setups = 0
  return {
    lines,
    setups: () => setups,
    io: {
      say: (line: string) => lines.push(line),
      runSetup: () => {
        setups++
        return runSetup()
      },
    },
  }
}

describe('the package list', () => {
  it('is exactly the one scripts/setup-debian.sh installs', () => {
    const script = readFileSync(new URL('setup-debian.sh', import.meta.url), 'utf8')
    const array = /^packages=\(([^)]*)\)$/m.exec(script)
    expect(array).not.toBeNull()
    expect(array![1]!.trim().split(/\s+/)).toEqual(REQUIREMENTS.map((r) => r.pkg))
  })

  it('asks a non-root run only for what the non-lab suites use (the lab suites are skipped for it)', () => {
    expect(REQUIREMENTS.filter((r) => !r.labOnly).map((r) => r.pkg)).toEqual([
      'lz4',
      'chromium',
      'clang',
      'libbpf-dev',
    ])
  })
})

describe('planPrerequisites', () => {
  it('does nothing when everything is there', () => {
    const { machine } = fakeMachine({ root: true, debian: true, missing: [] })
    expect(planPrerequisites(machine)).toEqual({ action: 'nothing' })
  })

  it('as root on Debian installs every missing package, lab ones included', () => {
    const { machine } = fakeMachine({ root: true, debian: true, missing: ['bird2', 'lz4'] })
    expect(planPrerequisites(machine)).toEqual({ action: 'install', packages: ['lz4', 'bird2'] })
  })

  it('as a user, ignores missing lab tools', () => {
    const { machine } = fakeMachine({ root: false, debian: true, missing: ['bird2', 'bpftool'] })
    expect(planPrerequisites(machine)).toEqual({ action: 'nothing' })
  })

  it('as a user, fails naming the missing packages and the setup command', () => {
    const { machine } = fakeMachine({ root: false, debian: true, missing: ['chromium', 'bird2'] })
    const plan = planPrerequisites(machine)
    expect(plan.action).toBe('fail')
    const message = plan.action === 'fail' ? plan.message : ''
    expect(message).toContain('chromium (/usr/bin/chromium)')
    expect(message).toContain(SETUP_COMMAND)
    expect(message).not.toContain('bird2')
  })

  it('off Debian, even as root, fails instead of running apt', () => {
    const { machine } = fakeMachine({ root: true, debian: false, missing: ['lz4'] })
    const plan = planPrerequisites(machine)
    expect(plan.action).toBe('fail')
    expect(plan.action === 'fail' && plan.message).toContain('lz4 (lz4)')
  })
})

describe('ensurePrerequisites', () => {
  it('is silent and runs nothing when everything is there', async () => {
    const { machine } = fakeMachine({ root: true, debian: true, missing: [] })
    const r = recorder(async () => 0)
    expect(await ensurePrerequisites(machine, r.io)).toBe(0)
    expect(r.lines).toEqual([])
    expect(r.setups()).toBe(0)
  })

  it('as root on Debian says in one line what it installs, runs the setup and goes on', async () => {
    const { machine, install } = fakeMachine({
      root: true,
      debian: true,
      missing: ['chromium', 'iperf3'],
    })
    const r = recorder(async () => {
      install(['chromium', 'iperf3'])
      return 0
    })
    expect(await ensurePrerequisites(machine, r.io)).toBe(0)
    expect(r.setups()).toBe(1)
    expect(r.lines).toEqual([
      'npm test: installing the Debian packages the tests need: iperf3 chromium ' +
        '(scripts/setup-debian.sh, as root)',
    ])
  })

  it('stops when the setup fails', async () => {
    const { machine } = fakeMachine({ root: true, debian: true, missing: ['lz4'] })
    const r = recorder(async () => 100)
    expect(await ensurePrerequisites(machine, r.io)).toBe(1)
    expect(r.lines.at(-1)).toContain('failed (exit 100)')
  })

  it('stops when the setup claims success but a probe still fails', async () => {
    const { machine } = fakeMachine({ root: true, debian: true, missing: ['lz4'] })
    const r = recorder(async () => 0)
    expect(await ensurePrerequisites(machine, r.io)).toBe(1)
    expect(r.lines.at(-1)).toBe('npm test: still missing after scripts/setup-debian.sh: lz4')
  })

  it('as a user, fails at once without trying to install', async () => {
    const { machine } = fakeMachine({ root: false, debian: true, missing: ['lz4'] })
    const r = recorder(async () => 0)
    expect(await ensurePrerequisites(machine, r.io)).toBe(1)
    expect(r.setups()).toBe(0)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toContain(`Install them once with:  ${SETUP_COMMAND}`)
  })
})
