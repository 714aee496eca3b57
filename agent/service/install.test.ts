import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../cli/cli'
import type { CliIo } from '../cli/io'
import { FakeClock } from '../clock/fake'
import { installService, ServiceError, uninstallService } from './install'
import type { Exec, ServiceHost } from './systemd'
import { renderUnit, UNIT_NAME, type UnitOptions } from './unit'

let root: string
let unitPath: string
let stateDir: string
let calls: string[][]
/** systemctl subcommands that fail, e.g. 'enable'. */
let failing: Set<string>
let systemd: boolean

const exec: Exec = async (cmd, args) => {
  calls.push([cmd, ...args])
  return failing.has(args[0] ?? '')
    ? { code: 1, stdout: '', stderr: `Failed to ${args[0]}: boom` }
    : { code: 0, stdout: '', stderr: '' }
}
const host = (): ServiceHost => ({ exec, unitPath, systemdRunning: async () => systemd })

const unit = (): UnitOptions => ({
  node: '/usr/bin/node',
  script: '/opt/patronus/agent/bin/patronus-agent.js',
  stateDir: '/var/lib/patronus',
  runArgs: ['--lan-interface', 'eth1'],
})

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patronus-service-'))
  unitPath = join(root, UNIT_NAME)
  stateDir = join(root, 'state')
  calls = []
  failing = new Set()
  systemd = true
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A state directory as enroll leaves it (contents only matter: they must survive). */
async function enrolledStateDir(): Promise<Record<string, string>> {
  await mkdir(join(stateDir, 'models'), { recursive: true, mode: 0o700 })
  const files = {
    'agent.json': '{"agentId":"agt_1"}\n',
    'identity.key': 'identity\n',
    'wireguard.key': 'wg\n',
    'desired-state.json': '{"revision":4}\n',
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(stateDir, name), text)
  return files
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isFile()) out[e.name] = await readFile(join(dir, e.name), 'utf8')
  }
  return out
}

describe('install', () => {
  it('writes the unit (0644), reloads systemd and enables it with --now', async () => {
    const result = await installService(unit(), host(), { start: true })
    expect(result).toEqual({ unitPath, upgraded: false, started: true })
    expect(await readFile(unitPath, 'utf8')).toBe(renderUnit(unit()))
    expect((await stat(unitPath)).mode & 0o777).toBe(0o644)
    expect(calls).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', UNIT_NAME],
    ])
    // No temporary file left beside the unit.
    expect(await readdir(root)).toEqual([UNIT_NAME])
  })

  it('upgrades in place: rewrites the unit and restarts the service (it takes no state directory)', async () => {
    await writeFile(unitPath, '# an older unit\n')
    const result = await installService(unit(), host(), { start: true })
    expect(result.upgraded).toBe(true)
    expect(await readFile(unitPath, 'utf8')).toBe(renderUnit(unit()))
    expect(calls).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', UNIT_NAME],
      ['systemctl', 'restart', UNIT_NAME],
    ])
  })

  it('--no-start enables without starting', async () => {
    await installService(unit(), host(), { start: false })
    expect(calls.at(-1)).toEqual(['systemctl', 'enable', UNIT_NAME])
  })

  it('puts the host back when systemctl fails: no unit after a first install, the old one after an upgrade', async () => {
    failing.add('enable')
    await expect(installService(unit(), host(), { start: true })).rejects.toThrow(
      /systemctl enable --now patronus-agent.service failed \(exit 1\): Failed to enable: boom/,
    )
    expect(await readdir(root)).toEqual([])
    expect(calls.at(-1)).toEqual(['systemctl', 'daemon-reload'])

    await writeFile(unitPath, '# the working unit\n')
    await expect(installService(unit(), host(), { start: true })).rejects.toThrow(ServiceError)
    expect(await readFile(unitPath, 'utf8')).toBe('# the working unit\n')
  })

  it('refuses with a clear message, writing nothing, when systemd is not running', async () => {
    systemd = false
    await expect(installService(unit(), host(), { start: true })).rejects.toThrow(
      /systemd is not the running init system \(no \/run\/systemd\/system\)/,
    )
    expect(await readdir(root)).toEqual([])
    expect(calls).toEqual([])
  })
})

describe('uninstall', () => {
  it('stops, disables and removes the unit and keeps the state directory', async () => {
    const files = await enrolledStateDir()
    await installService(unit(), host(), { start: true })
    calls = []
    const result = await uninstallService(host(), { purge: false, stateDir })
    expect(result).toEqual({ removed: true, purged: false })
    expect(calls).toEqual([
      ['systemctl', 'disable', '--now', UNIT_NAME],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'reset-failed', UNIT_NAME],
    ])
    expect(await readdir(root)).toEqual(['state'])
    expect(await snapshot(stateDir)).toEqual(files)
  })

  it('--purge deletes the state directory, but only one that is the agent’s', async () => {
    await enrolledStateDir()
    expect(await uninstallService(host(), { purge: true, stateDir })).toEqual({
      removed: false,
      purged: true,
    })
    expect(await readdir(root)).toEqual([])
    // Nothing installed: no systemctl call at all.
    expect(calls).toEqual([])

    const etc = join(root, 'etc')
    await mkdir(etc)
    await writeFile(join(etc, 'passwd'), 'root:x:0:0\n')
    await expect(uninstallService(host(), { purge: true, stateDir: etc })).rejects.toThrow(
      /does not look like an agent state directory/,
    )
    expect(await readdir(etc)).toEqual(['passwd'])
  })
})

describe('install and uninstall commands', () => {
  let out: string[]
  let err: string[]
  const io = (): CliIo => ({
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: {},
    fetch: async () => new Response(null, { status: 500 }),
    clock: new FakeClock(),
    hostname: () => 'edge-1',
    signal: new AbortController().signal,
    service: host(),
  })
  beforeEach(() => {
    out = []
    err = []
  })

  it('passes the run options after -- into ExecStart and reports what it did', async () => {
    const code = await runCli(
      ['install', '--state-dir', '/var/lib/patronus', '--', '--lan-interface', 'eth1'],
      io(),
    )
    expect(err.filter((l) => !l.includes('warning'))).toEqual([])
    expect(code).toBe(0)
    const text = await readFile(unitPath, 'utf8')
    expect(text).toMatch(
      /^ExecStart=.* run --state-dir \/var\/lib\/patronus --lan-interface eth1$/m,
    )
    expect(text).toMatch(/^CapabilityBoundingSet=.*CAP_BPF/m)
    expect(out.join('')).toMatch(/installed .*enabled and started\n.*keys and cache kept/s)

    out = []
    expect(await runCli(['uninstall', '--state-dir', stateDir], io())).toBe(0)
    expect(out.join('')).toMatch(/kept the state directory .*--purge deletes it/)
  })

  it('refuses run options run would refuse (exit 2) before writing anything', async () => {
    for (const runArgs of [['--bogus'], ['--state-dir', '/x'], ['--help']]) {
      expect(await runCli(['install', '--', ...runArgs], io())).toBe(2)
    }
    expect(await readdir(root)).toEqual([])
    expect(calls).toEqual([])
  })

  it('--print shows the unit and changes nothing; no systemd is an error (exit 1)', async () => {
    expect(await runCli(['install', '--print'], io())).toBe(0)
    expect(out.join('')).toMatch(/^\[Service\]$/m)
    expect(await readdir(root)).toEqual([])
    systemd = false
    expect(await runCli(['install'], io())).toBe(1)
    expect(err.at(-1)).toMatch(/^patronus-agent: systemd is not the running init system/)
  })
})
