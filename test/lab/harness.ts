/**
 * The WAN lab: N sites as network namespaces, each with K uplinks (veth) into one WAN
 * router namespace, a LAN host namespace behind each site, and a control-plane namespace
 * reachable from every site over lab addresses. Everything is named per run, every PID is
 * recorded, and destroy() runs on every exit path (including SIGINT/SIGTERM and process
 * exit). cleanupStale() removes what earlier runs of this harness left, and nothing else.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ipn, isAlive, killPid, nsExec, pollUntil, run } from './exec'
import { baseRuleset, dropRules, type Impairment, relayRules, tbfArgs, uplinkChain } from './impair'
import {
  checkIfName,
  LAB_NAME_PATTERN,
  type LabNames,
  labAddresses,
  labNames,
  newRunId,
  OWNER_DIR,
} from './names'

export type { Impairment } from './impair'

const WG_SOCKET_DIR = '/var/run/wireguard'
const RELAY_SCRIPT = fileURLToPath(new URL('./relay.ts', import.meta.url))

export interface LabOptions {
  sites: number
  /** Uplinks per site: one number for all, or one per site. */
  uplinks: number | number[]
  runId?: string
  /** First WireGuard port of every uplink (the relay listens on this uplink's range). */
  wgBasePort?: number
  log?: (message: string) => void
  /** Destroy the lab on SIGINT/SIGTERM and at process exit (default true). */
  handleSignals?: boolean
}

export interface LabUplink {
  slot: number
  /** Interface name inside the site namespace. */
  ifname: string
  /** The router's end, inside the WAN namespace. */
  wanIfname: string
  address: string
  gateway: string
}

export interface LabSite {
  index: number
  ns: string
  hostNs: string
  uplinks: LabUplink[]
  lanPrefix: string
  lanGateway: string
  lanHost: string
  /** Prefix for this site's WireGuard interfaces (unique host-wide). */
  wgPrefix: string
}

export interface LabProcess {
  pid: number
  child: ChildProcess
  ns: string
  name: string
}

interface OwnerRecord {
  pid: number
  runId: string
  createdAt: string
}

export class Lab {
  readonly names: LabNames
  readonly sites: LabSite[] = []
  readonly wanNs: string
  readonly cp: { ns: string; address: string }
  readonly wgBasePort: number
  private readonly namespaces: string[] = []
  private readonly processes = new Map<number, LabProcess>()
  private readonly relays = new Map<string, LabProcess>()
  private destroying: Promise<void> | undefined
  private readonly log: (message: string) => void
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = []
  private exitHandler: (() => void) | undefined

  private constructor(
    readonly runId: string,
    options: LabOptions,
  ) {
    this.names = labNames(runId)
    this.wanNs = this.names.wanNs
    this.cp = { ns: this.names.cpNs, address: labAddresses.cpAddress }
    this.wgBasePort = options.wgBasePort ?? 51820
    this.log = options.log ?? (() => {})
  }

  /** Builds the lab; on failure, undoes what it built and rethrows. */
  static async create(options: LabOptions): Promise<Lab> {
    const runId = options.runId ?? newRunId()
    if (!/^[0-9a-f]{4}$/.test(runId)) throw new Error(`run id ${runId} is not 4 hex digits`)
    if (options.sites < 1 || options.sites > 64) throw new Error('sites must be within 1-64')
    const lab = new Lab(runId, options)
    if (options.handleSignals !== false) lab.installHandlers()
    try {
      await lab.build(options)
      return lab
    } catch (err) {
      await lab.destroy()
      throw err
    }
  }

  private uplinkCount(options: LabOptions, site: number): number {
    const count = typeof options.uplinks === 'number' ? options.uplinks : options.uplinks[site]
    if (count === undefined || count < 1 || count > 15) {
      throw new Error(`site ${site}: uplink count must be within 1-15`)
    }
    return count
  }

  private async addNs(name: string): Promise<void> {
    this.namespaces.push(name)
    await run('ip', ['netns', 'add', name])
    await ipn(name, ['link', 'set', 'lo', 'up'])
  }

  private async sysctl(ns: string, settings: string[]): Promise<void> {
    await nsExec(ns, 'sysctl', ['-q', '-w', ...settings])
  }

  private async build(options: LabOptions): Promise<void> {
    const n = this.names
    const a = labAddresses
    const started = Date.now()
    mkdirSync(OWNER_DIR, { recursive: true })
    const owner: OwnerRecord = {
      pid: process.pid,
      runId: this.runId,
      createdAt: new Date().toISOString(),
    }
    writeFileSync(`${OWNER_DIR}/${this.runId}.json`, JSON.stringify(owner))

    await this.addNs(n.wanNs)
    await this.sysctl(n.wanNs, ['net.ipv4.ip_forward=1'])

    // Control plane: its own veth into the WAN router.
    await this.addNs(n.cpNs)
    await ipn(n.wanNs, [
      'link',
      'add',
      checkIfName(n.wanCpIf),
      'type',
      'veth',
      'peer',
      'name',
      checkIfName(n.cpIf),
      'netns',
      n.cpNs,
    ])
    await ipn(n.wanNs, ['addr', 'add', `${a.cpGateway}/30`, 'dev', n.wanCpIf])
    await ipn(n.wanNs, ['link', 'set', n.wanCpIf, 'up'])
    await ipn(n.cpNs, ['addr', 'add', `${a.cpAddress}/30`, 'dev', n.cpIf])
    await ipn(n.cpNs, ['link', 'set', n.cpIf, 'up'])
    await ipn(n.cpNs, ['route', 'add', 'default', 'via', a.cpGateway])

    for (let s = 0; s < options.sites; s++) {
      const site: LabSite = {
        index: s,
        ns: n.siteNs(s),
        hostNs: n.hostNs(s),
        uplinks: [],
        lanPrefix: a.lanPrefix(s),
        lanGateway: a.lanGateway(s),
        lanHost: a.lanHost(s),
        wgPrefix: n.wgPrefix(s),
      }
      await this.addNs(site.ns)
      await this.addNs(site.hostNs)
      // A site starts as a strict distribution default would leave a host: no forwarding,
      // strict rp_filter. The agent's engine must turn on what the mesh needs (forwarding,
      // loose rp_filter on its tunnels) by itself, as it must on a real site.
      await this.sysctl(site.ns, [
        'net.ipv4.ip_forward=0',
        'net.ipv4.conf.all.rp_filter=1',
        'net.ipv4.conf.default.rp_filter=1',
      ])
      for (let slot = 0; slot < this.uplinkCount(options, s); slot++) {
        const uplink: LabUplink = {
          slot,
          ifname: checkIfName(n.uplinkIf(slot)),
          wanIfname: checkIfName(n.wanIf(s, slot)),
          address: a.uplinkAddress(s, slot),
          gateway: a.uplinkGateway(s, slot),
        }
        await ipn(n.wanNs, [
          'link',
          'add',
          uplink.wanIfname,
          'type',
          'veth',
          'peer',
          'name',
          uplink.ifname,
          'netns',
          site.ns,
        ])
        const len = a.uplinkPrefixLength
        await ipn(n.wanNs, ['addr', 'add', `${uplink.gateway}/${len}`, 'dev', uplink.wanIfname])
        await ipn(n.wanNs, ['link', 'set', uplink.wanIfname, 'up'])
        await ipn(site.ns, ['addr', 'add', `${uplink.address}/${len}`, 'dev', uplink.ifname])
        await ipn(site.ns, ['link', 'set', uplink.ifname, 'up'])
        // One default route per uplink, as DHCP would give; the agent copies each into
        // its uplink's table.
        await ipn(site.ns, [
          'route',
          'add',
          'default',
          'via',
          uplink.gateway,
          'dev',
          uplink.ifname,
          'metric',
          String(100 + slot),
        ])
        site.uplinks.push(uplink)
      }
      await ipn(site.ns, [
        'link',
        'add',
        checkIfName(n.lanIf),
        'type',
        'veth',
        'peer',
        'name',
        checkIfName(n.hostIf),
        'netns',
        site.hostNs,
      ])
      await ipn(site.ns, ['addr', 'add', `${site.lanGateway}/24`, 'dev', n.lanIf])
      await ipn(site.ns, ['link', 'set', n.lanIf, 'up'])
      await ipn(site.hostNs, ['addr', 'add', `${site.lanHost}/24`, 'dev', n.hostIf])
      await ipn(site.hostNs, ['link', 'set', n.hostIf, 'up'])
      await ipn(site.hostNs, ['route', 'add', 'default', 'via', site.lanGateway])
      this.sites.push(site)
    }

    const uplinks = this.sites.flatMap((site) =>
      site.uplinks.map((u) => ({ site: site.index, slot: u.slot, wanIf: u.wanIfname })),
    )
    await nsExec(n.wanNs, 'nft', ['-f', '-'], { input: baseRuleset(n.nftTable, uplinks) })
    this.log(`lab ${this.runId}: ${this.sites.length} sites built in ${Date.now() - started} ms`)
  }

  site(index: number): LabSite {
    const site = this.sites[index]
    if (!site) throw new Error(`no site ${index} in lab ${this.runId}`)
    return site
  }

  uplink(siteIndex: number, slot: number): LabUplink {
    const uplink = this.site(siteIndex).uplinks[slot]
    if (!uplink) throw new Error(`site ${siteIndex} has no uplink ${slot}`)
    return uplink
  }

  /** Replaces the impairment of one uplink (an empty object lifts them all). */
  async impair(siteIndex: number, slot: number, impairment: Impairment): Promise<void> {
    const site = this.site(siteIndex)
    const uplink = this.uplink(siteIndex, slot)
    const table = this.names.nftTable
    await nsExec(this.wanNs, 'nft', ['-f', '-'], {
      input: dropRules(table, uplinkChain(siteIndex, slot), impairment),
    })
    if (impairment.rateMbit !== undefined) {
      const args = tbfArgs(impairment.rateMbit)
      await run('tc', ['-n', this.wanNs, 'qdisc', 'replace', 'dev', uplink.wanIfname, ...args])
      await run('tc', ['-n', site.ns, 'qdisc', 'replace', 'dev', uplink.ifname, ...args])
    } else {
      await run('tc', ['-n', this.wanNs, 'qdisc', 'del', 'dev', uplink.wanIfname, 'root'], {
        allowFail: true,
      })
      await run('tc', ['-n', site.ns, 'qdisc', 'del', 'dev', uplink.ifname, 'root'], {
        allowFail: true,
      })
    }
    await this.setDelay(siteIndex, slot, impairment.delayMs ?? 0, impairment.jitterMs ?? 0)
  }

  private async setDelay(
    siteIndex: number,
    slot: number,
    delayMs: number,
    jitterMs: number,
  ): Promise<void> {
    const uplink = this.uplink(siteIndex, slot)
    const key = `${siteIndex}/${slot}`
    const relayAddress = labAddresses.relayAddress(siteIndex, slot)
    const existing = this.relays.get(key)
    if (existing) {
      // Remove the rewrites first, then the relay, so no packet goes to a dead relay.
      await this.deleteRelayRules(uplink.address)
      this.relays.delete(key)
      await this.stop(existing.pid)
      await ipn(this.wanNs, ['addr', 'del', `${relayAddress}/32`, 'dev', 'lo'], {
        allowFail: true,
      })
    }
    if (delayMs <= 0 && jitterMs <= 0) return
    const ports = Array.from({ length: 16 }, (_, j) => this.wgBasePort + 16 * slot + j)
    await ipn(this.wanNs, ['addr', 'add', `${relayAddress}/32`, 'dev', 'lo'])
    const config = { relayAddress, target: uplink.address, ports, delayMs, jitterMs }
    const relay = this.spawnIn(this.wanNs, `relay ${key}`, process.execPath, [
      '--import',
      'tsx',
      RELAY_SCRIPT,
      JSON.stringify(config),
    ])
    this.relays.set(key, relay)
    await waitForLine(relay, 'ready', 10_000)
    await nsExec(this.wanNs, 'nft', ['-f', '-'], {
      input: relayRules(this.names.nftTable, uplink.address, relayAddress, ports),
    })
  }

  private async deleteRelayRules(uplinkAddress: string): Promise<void> {
    const table = this.names.nftTable
    for (const chain of ['relay_pre', 'relay_out']) {
      const listed = await nsExec(this.wanNs, 'nft', ['-a', 'list', 'chain', 'inet', table, chain])
      for (const line of listed.stdout.split('\n')) {
        const match = /comment "relay ([0-9.]+)" # handle (\d+)/.exec(line)
        if (match && match[1] === uplinkAddress) {
          await nsExec(this.wanNs, 'nft', [
            'delete',
            'rule',
            'inet',
            table,
            chain,
            'handle',
            match[2] ?? '',
          ])
        }
      }
    }
  }

  /** Runs a command in a lab namespace (bounded by a timeout). */
  exec(ns: string, cmd: string, args: string[], timeoutMs = 15_000) {
    this.assertOurs(ns)
    return nsExec(ns, cmd, args, { timeoutMs, allowFail: true })
  }

  /** Starts a long-running process in a lab namespace; its PID is recorded and killed at destroy. */
  spawnIn(
    ns: string,
    name: string,
    cmd: string,
    args: string[],
    options: { env?: Record<string, string> } = {},
  ): LabProcess {
    this.assertOurs(ns)
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: process.cwd(),
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    })
    if (child.pid === undefined) throw new Error(`spawn ${name} in ${ns}: no pid`)
    const proc: LabProcess = { pid: child.pid, child, ns, name }
    this.processes.set(child.pid, proc)
    child.on('exit', () => this.processes.delete(proc.pid))
    child.stderr
      ?.setEncoding('utf8')
      .on('data', (d: string) => this.log(`[${name}] ${d.trimEnd()}`))
    return proc
  }

  /** Stops a process started with spawnIn. */
  async stop(pid: number): Promise<void> {
    await killPid(pid)
    this.processes.delete(pid)
  }

  private assertOurs(ns: string): void {
    if (!this.namespaces.includes(ns)) throw new Error(`${ns} is not a namespace of this lab`)
  }

  /** Tears everything down; idempotent, and safe to call concurrently. */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown()
    return this.destroying
  }

  private async teardown(): Promise<void> {
    this.removeHandlers()
    const errors: string[] = []
    for (const proc of [...this.processes.values()]) await killPid(proc.pid)
    this.processes.clear()
    this.relays.clear()
    for (const ns of [...this.namespaces].reverse()) {
      try {
        await killNamespacePids(ns)
        await run('ip', ['netns', 'del', ns], { allowFail: true })
      } catch (err) {
        errors.push(`${ns}: ${(err as Error).message}`)
      }
    }
    removeSockets(this.names.prefix)
    rmSync(`${OWNER_DIR}/${this.runId}.json`, { force: true })
    this.log(`lab ${this.runId}: destroyed`)
    if (errors.length > 0) throw new Error(`lab ${this.runId} teardown: ${errors.join('; ')}`)
  }

  /** Synchronous last resort for process exit, when no await is possible. */
  private teardownSync(): void {
    for (const pid of this.processes.keys()) signal(pid, 'SIGKILL')
    for (const ns of this.namespaces) {
      for (const pid of namespacePidsSync(ns)) signal(pid, 'SIGKILL')
      try {
        execFileSync('ip', ['netns', 'del', ns], { timeout: 5_000, stdio: 'ignore' })
      } catch {}
    }
    removeSockets(this.names.prefix)
    rmSync(`${OWNER_DIR}/${this.runId}.json`, { force: true })
  }

  private installHandlers(): void {
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const handler = () => {
        this.destroy().finally(() => process.exit(code))
      }
      process.once(sig, handler)
      this.signalHandlers.push([sig, handler])
    }
    this.exitHandler = () => {
      if (!this.destroying) this.teardownSync()
    }
    process.once('exit', this.exitHandler)
  }

  private removeHandlers(): void {
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler)
    this.signalHandlers.length = 0
    if (this.exitHandler) process.off('exit', this.exitHandler)
    this.exitHandler = undefined
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {}
}

async function namespacePids(ns: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', ns], { allowFail: true })
  return out.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
}

function namespacePidsSync(ns: string): number[] {
  try {
    const out = execFileSync('ip', ['netns', 'pids', ns], { timeout: 5_000, encoding: 'utf8' })
    return out
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number)
  } catch {
    return []
  }
}

/**
 * Kills every process still living in a namespace (wireguard-go started by an agent, for
 * one): a process holding a namespace keeps its interfaces alive after `ip netns del`.
 */
async function killNamespacePids(ns: string): Promise<void> {
  const pids = (await namespacePids(ns)).filter((pid) => pid !== process.pid)
  await Promise.all(pids.map((pid) => killPid(pid, 1_000)))
  await pollUntil(
    `processes of ${ns} to exit`,
    async () => ((await namespacePids(ns)).some((pid) => isAlive(pid)) ? undefined : true),
    { timeoutMs: 5_000 },
  )
}

function removeSockets(namePrefix: string): void {
  let entries: string[]
  try {
    entries = readdirSync(WG_SOCKET_DIR)
  } catch {
    return
  }
  for (const entry of entries) {
    if (entry.startsWith(namePrefix) && entry.endsWith('.sock')) {
      rmSync(`${WG_SOCKET_DIR}/${entry}`, { force: true })
    }
  }
}

function waitForLine(proc: LabProcess, expected: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`${proc.name}: no "${expected}" within ${timeoutMs} ms`))
    }, timeoutMs)
    const onData = (d: Buffer) => {
      buffer += d.toString('utf8')
      if (buffer.split('\n').includes(expected)) {
        cleanup()
        resolve()
      }
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`${proc.name} exited (${code}) before "${expected}"`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      proc.child.stdout?.off('data', onData)
      proc.child.off('exit', onExit)
    }
    proc.child.stdout?.on('data', onData)
    proc.child.once('exit', onExit)
  })
}

/**
 * Removes leftovers of earlier lab runs: namespaces named `pt-<runid>-...` whose owning
 * process (recorded in /run/patronus-lab/<runid>.json) is gone, the processes inside them,
 * and their WireGuard sockets. A run whose owner is alive is left alone; a namespace or
 * socket not named by this harness is never touched. Returns the run ids removed.
 */
export async function cleanupStale(): Promise<string[]> {
  const listed = await run('ip', ['netns', 'list'], { allowFail: true })
  const byRun = new Map<string, string[]>()
  for (const line of listed.stdout.split('\n')) {
    const ns = line.split(' ')[0] ?? ''
    const match = LAB_NAME_PATTERN.exec(ns)
    if (!match?.[1]) continue
    byRun.set(match[1], [...(byRun.get(match[1]) ?? []), ns])
  }
  let sockets: string[] = []
  try {
    sockets = readdirSync(WG_SOCKET_DIR)
  } catch {}
  for (const entry of sockets) {
    const runId = LAB_NAME_PATTERN.exec(entry)?.[1]
    if (runId && !byRun.has(runId)) byRun.set(runId, [])
  }
  let owners: string[] = []
  try {
    owners = readdirSync(OWNER_DIR)
  } catch {}
  for (const entry of owners) {
    const runId = /^([0-9a-f]{4})\.json$/.exec(entry)?.[1]
    if (runId && !byRun.has(runId)) byRun.set(runId, [])
  }
  const removed: string[] = []
  for (const [runId, namespaces] of byRun) {
    if (ownerAlive(runId)) continue
    for (const ns of namespaces) {
      await killNamespacePids(ns)
      await run('ip', ['netns', 'del', ns], { allowFail: true })
    }
    removeSockets(`pt-${runId}-`)
    rmSync(`${OWNER_DIR}/${runId}.json`, { force: true })
    removed.push(runId)
  }
  return removed
}

function ownerAlive(runId: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(`${OWNER_DIR}/${runId}.json`, 'utf8')) as OwnerRecord
    return typeof owner.pid === 'number' && isAlive(owner.pid)
  } catch {
    return false
  }
}

/** Every name the host shows that belongs to some lab run: for leak assertions. */
export async function labLeftovers(runId?: string): Promise<{
  namespaces: string[]
  sockets: string[]
  processes: string[]
  nftTables: string[]
}> {
  const prefix = runId ? `pt-${runId}-` : 'pt-'
  const ns = await run('ip', ['netns', 'list'], { allowFail: true })
  const namespaces = ns.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix) && LAB_NAME_PATTERN.test(name))
  let sockets: string[] = []
  try {
    sockets = readdirSync(WG_SOCKET_DIR).filter((e) => e.startsWith(prefix))
  } catch {}
  const ps = await run('pgrep', ['-a', 'wireguard-go'], { allowFail: true })
  const processes = ps.stdout.split('\n').filter((l) => l.includes(` ${prefix}`))
  const tables = await run('nft', ['list', 'tables'], { allowFail: true })
  const nftTables = tables.stdout
    .split('\n')
    .filter((l) => l.includes(runId ? `pt_${runId}` : 'pt_'))
  return { namespaces, sockets, processes, nftTables }
}
