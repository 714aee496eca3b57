import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../cli/cli'
import type { CliIo } from '../cli/io'
import { FakeClock, settle } from '../clock/fake'
import type { DaemonExit } from '../daemon'
import { statePaths } from '../state'
import { FakeControlPlane } from '../testing/fake-control-plane'
import { desiredState, peer } from '../testing/fixtures'
import { type CapturedLog, captureLogger } from '../testing/harness'
import {
  clearMaintenance,
  readMaintenance,
  runWithMaintenance,
  setMaintenance,
} from './maintenance'
import { readPathsStatus } from './paths-status'

let root: string
let clock: FakeClock
let log: CapturedLog

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patronus-maint-'))
  clock = new FakeClock(Date.UTC(2026, 5, 1))
  log = captureLogger()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/**
 * Advances fake time in poll steps until `done`. Each step also waits a little real time:
 * the loops under test do real file I/O (the thread pool), which event-loop turns alone do
 * not wait for on a busy machine.
 */
async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (await done()) return
    clock.advance(250)
    await settle(5)
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('runWithMaintenance', () => {
  it('ends the session when the flag appears, starts none while it is set, and a new one after', async () => {
    const flag = join(root, 'maintenance.json')
    const stop = new AbortController()
    const sessions: { signal: AbortSignal; closed: boolean }[] = []
    let maintenanceEntered = 0
    const running = runWithMaintenance({
      flagPath: flag,
      clock,
      logger: log.logger,
      signal: stop.signal,
      session: async (signal) => {
        const s = { signal, closed: false }
        sessions.push(s)
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))
        s.closed = true // what the daemon does on abort: pipeline.close()
        return 'stopped'
      },
      onMaintenance: async () => {
        maintenanceEntered++
      },
    })
    await until(() => sessions.length === 1, 'the first session')

    await setMaintenance(flag, clock.now(), 'swap the router')
    await until(() => sessions[0]!.closed, 'the session to close')
    await until(() => maintenanceEntered === 1, 'maintenance')
    // A while later: still down, no new session.
    for (let i = 0; i < 20; i++) {
      clock.advance(1000)
      await settle(5)
    }
    expect(sessions).toHaveLength(1)

    expect(await clearMaintenance(flag)).toBe(true)
    await until(() => sessions.length === 2, 'the second session')
    expect(sessions[1]!.signal.aborted).toBe(false)

    stop.abort()
    expect(await running).toBe('stopped')
    expect(sessions[1]!.closed).toBe(true)
    expect(log.messages()).toEqual(
      expect.arrayContaining([
        'maintenance requested: closing the pipeline',
        'maintenance: pipeline down; `patronus-agent up` resumes',
        'maintenance over: starting the pipeline',
      ]),
    )
  })

  it('starts in maintenance when the flag is already there (a restart stays down)', async () => {
    const flag = join(root, 'maintenance.json')
    await setMaintenance(flag, clock.now())
    const stop = new AbortController()
    let sessions = 0
    let entered = 0
    const running = runWithMaintenance({
      flagPath: flag,
      clock,
      logger: log.logger,
      signal: stop.signal,
      session: async () => {
        sessions++
        return 'stopped'
      },
      onMaintenance: async () => {
        entered++
      },
    })
    await until(() => entered === 1, 'maintenance at start')
    stop.abort()
    expect(await running).toBe('stopped')
    expect(sessions).toBe(0)
  })

  it('returns revoked at once (no restart of the session)', async () => {
    let sessions = 0
    const exit = await runWithMaintenance({
      flagPath: join(root, 'maintenance.json'),
      clock,
      logger: log.logger,
      signal: new AbortController().signal,
      session: async (): Promise<DaemonExit> => {
        sessions++
        return 'revoked'
      },
      onMaintenance: async () => {},
    })
    expect(exit).toBe('revoked')
    expect(sessions).toBe(1)
  })
})

describe('down and up with a running agent (dry-run pipeline)', () => {
  it('down closes the pipeline and stays enrolled; status says so; up builds a new one', async () => {
    const cp = new FakeControlPlane()
    cp.state = desiredState(4, { peers: [peer('site_b')] })
    const stateDir = join(root, 'state')
    const paths = statePaths(stateDir)
    const stop = new AbortController()
    const out: string[] = []
    const io: CliIo = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void out.push(t),
      env: {},
      fetch: cp.fetch,
      clock,
      hostname: () => 'edge-1',
      signal: stop.signal,
      logger: log.logger,
    }
    const cli = (...argv: string[]) => runCli([...argv, '--state-dir', stateDir], io)
    expect(
      await cli(
        'enroll',
        '--server',
        'https://cp.test/',
        '--token',
        cp.validToken,
        '--uplink',
        'fiber=eth0',
      ),
    ).toBe(0)
    const running = cli('run', '--dry-run', '--long-poll', '5')
    const status = () => readPathsStatus(paths.pathsStatus).catch(() => undefined)
    const count = (msg: string) => log.messages().filter((m) => m === msg).length
    await until(async () => (await status())?.mode === 'running', 'the first paths status')

    out.length = 0
    expect(await cli('down', '--wait', '0', '--reason', 'router swap')).toBe(0)
    expect(out.join('')).toMatch(/maintenance flag set/)
    await until(async () => (await status())?.mode === 'maintenance', 'maintenance status')
    // The daemon's own stop path ran: the pipeline was closed, the enrollment is untouched.
    expect(count('pipeline closed')).toBe(1)
    expect(await readFile(paths.enrollment, 'utf8')).toMatch(/agt_1/)
    expect((await readMaintenance(paths.maintenance))?.reason).toBe('router swap')

    out.length = 0
    expect(await cli('status')).toBe(0)
    expect(out.join('')).toMatch(/^mode {6}maintenance since .* \(router swap\); `up` resumes$/m)
    expect(out.join('')).toMatch(/^paths {5}none: pipeline closed for maintenance/m)

    out.length = 0
    expect(await cli('up', '--wait', '0')).toBe(0)
    expect(out.join('')).toBe('maintenance flag removed\n')
    await until(() => count('agent starting') === 2, 'the second session')
    await until(async () => (await status())?.mode === 'running', 'running status again')
    expect(await readMaintenance(paths.maintenance)).toBeUndefined()

    stop.abort()
    expect(await running).toBe(0)
    expect(count('pipeline closed')).toBe(2)
  })

  it('down waits for the agent to confirm, and says so when it does not', async () => {
    const cp = new FakeControlPlane()
    const stateDir = join(root, 'state')
    const out: string[] = []
    const io: CliIo = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void out.push(t),
      env: {},
      fetch: cp.fetch,
      clock,
      hostname: () => 'edge-1',
      signal: new AbortController().signal,
    }
    const cli = (...argv: string[]) => runCli([...argv, '--state-dir', stateDir], io)
    expect(await cli('enroll', '--server', 'https://cp.test/', '--token', cp.validToken)).toBe(0)
    // No agent running: the wait runs out (fake time) and the flag stays.
    const down = cli('down', '--wait', '2')
    await until(() => out.join('').includes('did not confirm'), 'the timeout')
    expect(await down).toBe(0)
    expect(out.join('')).toMatch(/did not confirm within 2 s .*stays down whenever it starts/)
    expect(await readMaintenance(statePaths(stateDir).maintenance)).toBeDefined()
    out.length = 0
    expect(await cli('down', '--wait', '0')).toBe(0)
    expect(out.join('')).toMatch(/^already in maintenance since /)
    expect(await cli('down', '--wait', 'soon')).toBe(2)
  })
})
