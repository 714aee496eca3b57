import { createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import { statePaths } from '../state'
import { FakeControlPlane } from '../testing/fake-control-plane'
import { desiredState, peer } from '../testing/fixtures'
import { type CapturedLog, captureLogger } from '../testing/harness'
import { AGENT_VERSION } from '../version'
import { runCli } from './cli'
import type { CliIo } from './io'

let root: string
let stateDir: string
let cp: FakeControlPlane
let out: string[]
let err: string[]
let log: CapturedLog
let stop: AbortController

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patronus-cli-'))
  stateDir = join(root, 'state')
  cp = new FakeControlPlane()
  out = []
  err = []
  log = captureLogger()
  stop = new AbortController()
})
afterEach(async () => {
  stop.abort()
  await rm(root, { recursive: true, force: true })
})

function io(): CliIo {
  return {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: {},
    fetch: cp.fetch,
    clock: new FakeClock(Date.UTC(2026, 5, 1)),
    hostname: () => 'edge-1',
    signal: stop.signal,
    logger: log.logger,
  }
}

const cli = (...argv: string[]) => runCli(argv, io())
const enroll = (...extra: string[]) =>
  cli(
    'enroll',
    '--server',
    'https://cp.test/',
    '--token',
    cp.validToken,
    '--state-dir',
    stateDir,
    ...extra,
  )
const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('patronus-agent CLI', () => {
  it('enroll makes the keys (0600, dir 0700), sends public keys only and records the identity', async () => {
    expect(
      await enroll('--uplink', 'fiber=eth0,endpoint=192.0.2.1:51820', '--uplink', 'lte=wwan0'),
    ).toBe(0)
    const paths = statePaths(stateDir)
    expect(await mode(stateDir)).toBe(0o700)
    for (const file of [paths.identityKey, paths.wireguardKey, paths.enrollment]) {
      expect(await mode(file)).toBe(0o600)
    }
    const request = cp.requests[0]!
    expect(request.url).toBe('https://cp.test/v1/enroll')
    const body = JSON.parse(request.body)
    expect(Object.keys(body).sort()).toEqual([
      'agentVersion',
      'hostname',
      'identityPublicKey',
      'token',
      'uplinks',
      'wireguardPublicKey',
    ])
    expect(body.hostname).toBe('edge-1')
    expect(body.uplinks).toEqual([
      { name: 'fiber', interface: 'eth0', endpoint: '192.0.2.1:51820' },
      { name: 'lte', interface: 'wwan0' },
    ])
    const record = JSON.parse(await readFile(paths.enrollment, 'utf8'))
    expect(record).toMatchObject({
      agentId: 'agt_1',
      siteId: 'site_1',
      orgId: 'org_1',
      overlayAddress: '100.64.0.1',
      serverUrl: 'https://cp.test',
      identityPublicKey: body.identityPublicKey,
    })
    expect(out.join('')).toMatch(/^enrolled: agent agt_1, site site_1, overlay 100\.64\.0\.1/)
  })

  it('enroll refuses an http:// server without --insecure-http: exit 2, no keys, nothing sent', async () => {
    const code = await cli(
      'enroll',
      '--server',
      'http://cp.test',
      '--token',
      cp.validToken,
      '--state-dir',
      stateDir,
    )
    expect(code).toBe(2)
    expect(err.join('')).toMatch(
      /^patronus-agent: enroll: control plane http:\/\/cp\.test is plain HTTP: .* use an https:\/\/ URL, or --insecure-http for a lab or test control plane; see patronus-agent enroll --help\n$/,
    )
    expect(cp.requests).toHaveLength(0)
    expect(await stat(stateDir).catch(() => undefined)).toBeUndefined()
  })

  it('enroll --insecure-http records the choice; run and sync then accept the http:// server', async () => {
    const code = await cli(
      'enroll',
      '--server',
      'http://cp.test',
      '--insecure-http',
      '--token',
      cp.validToken,
      '--state-dir',
      stateDir,
    )
    expect(code).toBe(0)
    expect(cp.requests[0]?.url).toBe('http://cp.test/v1/enroll')
    const record = JSON.parse(await readFile(statePaths(stateDir).enrollment, 'utf8'))
    expect(record).toMatchObject({ serverUrl: 'http://cp.test', insecureHttp: true })
    expect(await cli('sync', '--once', '--state-dir', stateDir)).toBe(0)
    expect(cp.requests.at(-1)?.url).toBe('http://cp.test/v1/agent/config')
    cp.revoked = true
    expect(await cli('run', '--dry-run', '--state-dir', stateDir)).toBe(3)
    expect(log.messages()).toContain(
      'control plane over plain HTTP (--insecure-http): for labs and tests only',
    )
    // An https:// enrollment records nothing about plain HTTP.
    expect(await enroll('--force')).toBe(0)
    const secure = JSON.parse(await readFile(statePaths(stateDir).enrollment, 'utf8'))
    expect(secure.insecureHttp).toBeUndefined()
  })

  it('run and sync refuse a stored http:// server the enrollment did not allow, unless given the flag', async () => {
    expect(await enroll()).toBe(0)
    // An agent.json from before the https rule (or edited by hand): http://, no insecureHttp.
    const paths = statePaths(stateDir)
    const record = JSON.parse(await readFile(paths.enrollment, 'utf8'))
    await writeFile(paths.enrollment, JSON.stringify({ ...record, serverUrl: 'http://cp.test' }))
    const sent = cp.requests.length
    for (const command of [
      ['sync', '--once'],
      ['run', '--dry-run'],
    ]) {
      err = []
      expect(await cli(...command, '--state-dir', stateDir)).toBe(1)
      expect(err.join('')).toBe(
        `patronus-agent: ${command[0]}: control plane http://cp.test is plain HTTP: anyone on the path could rewrite the desired state (peers, prefixes, model); use an https:// URL, or --insecure-http for a lab or test control plane; this enrollment did not record --insecure-http: pass it to \`patronus-agent ${command[0]}\` or enroll again with it\n`,
      )
    }
    expect(cp.requests.length).toBe(sent)
    expect(await cli('sync', '--once', '--insecure-http', '--state-dir', stateDir)).toBe(0)
    expect(cp.requests.at(-1)?.url).toBe('http://cp.test/v1/agent/config')
  })

  it('refuses to overwrite an enrollment without --force, and --force makes new keys', async () => {
    expect(await enroll()).toBe(0)
    const before = JSON.parse(await readFile(statePaths(stateDir).enrollment, 'utf8'))
    expect(await enroll()).toBe(1)
    expect(err.join('')).toMatch(/^patronus-agent: already enrolled as agent agt_1 .* use --force/)
    expect(cp.requests).toHaveLength(1)
    expect(await enroll('--force')).toBe(0)
    const after = JSON.parse(await readFile(statePaths(stateDir).enrollment, 'utf8'))
    expect(after.identityPublicKey).not.toBe(before.identityPublicKey)
  })

  it('reports a refused token by the problem title and detail, on one line, exit 1', async () => {
    const code = await cli(
      'enroll',
      '--server',
      'https://cp.test',
      '--token',
      `pet_${'b'.repeat(43)}`,
      '--state-dir',
      stateDir,
    )
    expect(code).toBe(1)
    expect(err).toEqual([
      'patronus-agent: enrollment refused: The enrollment token is not valid: the token has expired (HTTP 401)\n',
    ])
    expect(await stat(statePaths(stateDir).enrollment).catch(() => undefined)).toBeUndefined()
  })

  it('says to run enroll first when not enrolled', async () => {
    for (const command of [['status'], ['sync', '--once'], ['run']]) {
      err = []
      expect(await cli(...command, '--state-dir', stateDir)).toBe(1)
      expect(err.join('')).toMatch(/not enrolled .*run `patronus-agent enroll/)
    }
  })

  it('sync --once --json prints and caches the document; status --json reports it', async () => {
    cp.state = desiredState(4, { peers: [peer('site_b')] })
    expect(await enroll('--uplink', 'fiber=eth0')).toBe(0)
    out = []
    expect(await cli('sync', '--once', '--json', '--state-dir', stateDir)).toBe(0)
    const printed = JSON.parse(out.join(''))
    expect(printed).toEqual(cp.state)
    expect(printed.revision).toBe(4)
    const cached = JSON.parse(await readFile(statePaths(stateDir).desiredState, 'utf8'))
    expect(cached.revision).toBe(4)

    out = []
    expect(await cli('status', '--json', '--state-dir', stateDir)).toBe(0)
    const status = JSON.parse(out.join(''))
    expect(Object.keys(status)).toEqual([
      'agentId',
      'siteId',
      'server',
      'revision',
      'lastSyncAt',
      'uplinks',
      'maintenance',
      'pathsAt',
      'paths',
    ])
    expect(status).toMatchObject({
      agentId: 'agt_1',
      siteId: 'site_1',
      server: 'https://cp.test',
      revision: 4,
      lastSyncAt: '2026-06-01T00:00:00.000Z',
    })
    expect(status.uplinks).toEqual([{ name: 'fiber', interface: 'eth0', slot: 0 }])
  })

  it('prints its version on --version', async () => {
    expect(await cli('--version')).toBe(0)
    expect(out.join('')).toBe(`patronus-agent ${AGENT_VERSION}\n`)
  })

  it('answers --help on every command and rejects bad usage with exit 2', async () => {
    for (const command of ['enroll', 'sync', 'run', 'status']) {
      out = []
      expect(await cli(command, '--help')).toBe(0)
      expect(out.join('')).toMatch(new RegExp(`^Usage: patronus-agent ${command}`))
    }
    expect(await cli('--help')).toBe(0)
    expect(await cli('frobnicate')).toBe(2)
    expect(await cli('status', '--bogus')).toBe(2)
    expect(await cli('sync', '--state-dir', stateDir)).toBe(2)
    expect(await enroll('--uplink', 'fiber')).toBe(2)
    expect(await enroll('--uplink', 'fiber=eth0,mtu=1400')).toBe(2)
    expect(err.at(-1)).toMatch(/unknown option "mtu=1400"/)
    expect(cp.requests).toHaveLength(0)
  })

  it('run rejects bad mesh options with exit 2 before touching anything', async () => {
    expect(await enroll()).toBe(0)
    const before = cp.requests.length
    const bad: [string[], RegExp][] = [
      [['--interface-prefix', 'much-too-long-prefix'], /--interface-prefix must be 1-12/],
      [['--interface-prefix', 'wg/0'], /--interface-prefix must be 1-12/],
      [['--wireguard', 'magic'], /--wireguard must be auto, kernel or userspace/],
      [['--underlay-source', 'dhcp'], /--underlay-source must be interface or plan/],
      [['--long-poll', '0'], /--long-poll must be a whole number of seconds within 1-60/],
      [['--long-poll', '61'], /--long-poll must be/],
      [['--long-poll', '2.5'], /--long-poll must be/],
    ]
    for (const [args, message] of bad) {
      err = []
      expect(await cli('run', ...args, '--state-dir', stateDir)).toBe(2)
      expect(err.join('')).toMatch(message)
    }
    expect(cp.requests.length).toBe(before)
  })

  it('run --dry-run (or PATRONUS_DRY_RUN=1) drives the recording pipeline and says so', async () => {
    expect(await enroll('--uplink', 'fiber=eth0')).toBe(0)
    cp.revoked = true
    expect(
      await runCli(['run', '--state-dir', stateDir], { ...io(), env: { PATRONUS_DRY_RUN: '1' } }),
    ).toBe(3)
    const starting = log.lines
      .map((l) => JSON.parse(l) as { msg: string; pipeline?: string })
      .find((l) => l.msg === 'agent starting')
    expect(starting?.pipeline).toBe('dry-run')
    expect(log.messages()).not.toContain('WireGuard backend: userspace')
  })

  it('run exits 3 with a clear message when the agent is revoked', async () => {
    expect(await enroll()).toBe(0)
    cp.revoked = true
    expect(await cli('run', '--dry-run', '--state-dir', stateDir)).toBe(3)
    expect(err.join('')).toBe('patronus-agent: agent revoked by the control plane; stopping sync\n')
  })

  it('never puts private key material or the token in a request, a header or a log line', async () => {
    expect(await enroll('--uplink', 'fiber=eth0')).toBe(0)
    expect(await cli('sync', '--once', '--state-dir', stateDir)).toBe(0)
    const running = cli('run', '--dry-run', '--long-poll', '5', '--state-dir', stateDir)
    const deadline = Date.now() + 5_000
    const seen = (path: string) => cp.requests.some((r) => r.url.includes(path))
    while (!(seen('/heartbeat') && cp.requests.length >= 4) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2))
    }
    stop.abort()
    expect(await running).toBe(0)
    expect(seen('/heartbeat')).toBe(true)

    const paths = statePaths(stateDir)
    const pem = await readFile(paths.identityKey, 'utf8')
    const d = createPrivateKey(pem).export({ format: 'jwk' }).d!
    const wg = (await readFile(paths.wireguardKey, 'utf8')).trim()
    const pemBody = pem.split('\n').filter((l) => l && !l.startsWith('-----'))
    const secrets = [
      pem,
      ...pemBody,
      d,
      Buffer.from(d, 'base64url').toString('base64'),
      Buffer.from(d, 'base64url').toString('hex'),
      wg,
      Buffer.from(wg, 'base64').toString('base64url'),
      Buffer.from(wg, 'base64').toString('hex'),
    ]
    const wire = cp.requests.map(
      (r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`,
    )
    const logs = [...log.lines, ...out, ...err]
    expect(log.lines.length).toBeGreaterThan(3)
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20)
      for (const text of [...wire, ...logs]) expect(text).not.toContain(secret)
    }
    // The token goes to /v1/enroll only, and never into output or logs.
    for (const text of logs) expect(text).not.toContain(cp.validToken)
    expect(wire.filter((t) => t.includes(cp.validToken))).toHaveLength(1)
  })
})
