/**
 * The agent package as a site installs it and the systemd service runs it, without systemd
 * (this machine's PID 1 is not systemd; the lab needs none): the @patronus/agent tarball is
 * built, packed and installed into an empty directory (test/agent/agent-package.ts); site 0
 * enrolls with the installed agent, which is started with exactly the unit's ExecStart
 * argument list (agent/service/unit.ts, the installed bundle as the script),
 * under `setpriv` with the unit's capability set as bounding, inheritable and ambient set
 * and no-new-privs, as root (the unit sets no User=). Checked:
 * - with only CAP_NET_ADMIN and CAP_NET_RAW it builds its WireGuard tunnels, routes and
 *   sysctls, and the LAN hosts ping each other through them;
 * - the process really runs with that set (CapBnd/CapEff of /proc/PID/status);
 * - killed with SIGKILL (a crash, what Restart=on-failure answers) and started again the
 *   same way, it comes back with the same keys (state directory untouched, the peer still
 *   knows its public key) and the LAN pings again.
 * Not emulated: the unit's mount sandbox (ProtectSystem=strict, ...); systemd-analyze
 * verify checks those directives in agent/service/unit.test.ts.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { capabilitiesFor, execStartArgv, type UnitOptions } from '../../agent/service/unit'
import { installTarball, packAgent } from '../agent/agent-package'
import { AGENT_BIN, CliAgent, enrollSite, lanPing, wgDevices } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil } from './exec'
import { cleanupStale, Lab, type LabSite, labLeftovers } from './harness'

let lab: Lab
let cp: LabControlPlane
let dir: string
/** The installed package's agent bundle (node_modules/@patronus/agent/dist/...). */
let installedAgent: string
const agents: (CliAgent | undefined)[] = []
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}
const site = (i: number): LabSite => lab.site(i)
const stateDir = (i: number) => join(dir, `site${i}`)

/** The lab's `run` options (as CliAgent.start passes them), given to the unit as runArgs. */
function labRunArgs(s: LabSite): string[] {
  return [
    '--interface-prefix',
    s.wgPrefix,
    '--underlay-source',
    'plan',
    '--long-poll',
    '5',
    '--log-level',
    'info',
  ]
}

/** setpriv arguments that give a process exactly `caps` (CAP_NET_ADMIN -> net_admin). */
function setprivArgs(caps: string[]): string[] {
  const list = ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',')
  return ['--inh-caps', list, '--ambient-caps', list, '--bounding-set', list, '--no-new-privs']
}

/** Site 0's agent, started as the unit would start it. */
function startAsService(): CliAgent {
  const unit: UnitOptions = {
    node: process.execPath,
    script: installedAgent,
    stateDir: stateDir(0),
    runArgs: labRunArgs(site(0)),
  }
  const argv = execStartArgv(unit)
  const agent = CliAgent.startCommand(lab, site(0), 'setpriv', [
    ...setprivArgs(capabilitiesFor(unit.runArgs)),
    '--',
    ...argv,
  ])
  agents[0] = agent
  return agent
}

/** CapBnd and CapEff of the agent process, as hex masks. */
async function capsOf(agent: CliAgent): Promise<{ bnd: bigint; eff: bigint }> {
  const status = await readFile(`/proc/${agent.proc.pid}/status`, 'utf8')
  const field = (name: string) => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1]
    if (!hex) throw new Error(`no ${name} in /proc/${agent.proc.pid}/status`)
    return BigInt(`0x${hex}`)
  }
  return { bnd: field('CapBnd'), eff: field('CapEff') }
}

/** Bits of CAP_NET_ADMIN (12) and CAP_NET_RAW (13). */
const NET_ADMIN_RAW = (1n << 12n) | (1n << 13n)

async function keyDigests(i: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of ['identity.key', 'wireguard.key', 'agent.json']) {
    const data = await readFile(join(stateDir(i), name))
    out[name] = createHash('sha256').update(data).digest('hex')
  }
  return out
}

/** Site 1's peer keys on its devices, once every device has handshaken with site 0. */
async function meshUp(): Promise<string[]> {
  return pollUntil(
    'site 1 devices handshaken with site 0',
    async () => {
      const devices = await wgDevices(lab, site(1))
      const peers = devices.flatMap((d) => d.peers)
      if (peers.length === 0 || peers.some((p) => p.latestHandshake === 0)) return undefined
      const ping = await lanPing(lab, site(0), site(1), 2)
      return ping.ok ? [...new Set(peers.map((p) => p.publicKey))] : undefined
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  )
}

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 2, uplinks: 1, log })
  dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  const packed = await packAgent(dir)
  // The bundle the npm bin link points at: what the unit's ExecStart runs with node.
  installedAgent = await realpath(await installTarball(packed.tarball, join(dir, 'package')))
  cp = new LabControlPlane(lab, dir)
  await cp.start()
  for (const i of [0, 1]) {
    const { token } = await cp.createSite(`service-${i}`, [site(i).lanPrefix])
    // Site 0 enrolls with the installed package, site 1 (the peer) with the checkout.
    await enrollSite(lab, site(i), cp.url, token, stateDir(i), i === 0 ? installedAgent : AGENT_BIN)
  }
  agents[1] = CliAgent.start(lab, site(1), stateDir(1), { longPollSeconds: 5 })
}, 120_000)

afterAll(async () => {
  const runId = lab?.runId
  try {
    for (const a of agents) await a?.stop(lab).catch(() => {})
    await cp?.stop().catch(() => {})
    await lab?.destroy()
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
}, 90_000)

describe('the agent under the service unit’s capability set', () => {
  let firstKeys: string[] = []
  let digests: Record<string, string> = {}

  test('builds its tunnels with only CAP_NET_ADMIN and CAP_NET_RAW', async () => {
    expect(capabilitiesFor(labRunArgs(site(0)))).toEqual(['CAP_NET_ADMIN', 'CAP_NET_RAW'])
    digests = await keyDigests(0)
    const agent = startAsService()
    firstKeys = await meshUp()
    expect(firstKeys).toHaveLength(1)
    expect(agent.running).toBe(true)
    const caps = await capsOf(agent)
    expect(caps.bnd).toBe(NET_ADMIN_RAW)
    expect(caps.eff).toBe(NET_ADMIN_RAW)
    // Nothing the agent tried was refused for want of a capability.
    const refused = agent.entries().filter((e) => /EPERM|not permitted/i.test(JSON.stringify(e)))
    expect(refused).toEqual([])
  }, 120_000)

  test('comes back after a crash (SIGKILL, then started again) with the same keys', async () => {
    const agent = agents[0]!
    agent.proc.child.kill('SIGKILL')
    expect(await agent.exited).toBeNull()
    const again = startAsService()
    const keys = await meshUp()
    expect(keys).toEqual(firstKeys)
    expect(await keyDigests(0)).toEqual(digests)
    expect(again.running).toBe(true)
    // It found its enrollment: no "not enrolled", and it applied the cached state first.
    await pollUntil(
      'the restarted agent applied its cached desired state',
      () => (again.has('applied cached desired state') ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100 },
    )
  }, 120_000)
})
