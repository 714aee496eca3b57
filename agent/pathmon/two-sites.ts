/**
 * The test bed of the path monitor tests: two sites, each a real PathMonitor, over an
 * in-memory underlay (BFD and quality probes), in-memory routing and a fake WireGuard
 * backend, on one fake clock. Site A has two uplinks and site B one, so A has two paths to
 * B and a class can fail over between them. Tests look at site A.
 */
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { FakeClock, settle } from '../clock/fake'
import { silentLogger } from '../logger'
import { MESH_DEFAULTS } from '../plan/mesh-plan'
import { planSite } from '../plan/site-plan'
import { type MemoryRouting, memoryRouting } from '../routing/memory'
import { desiredState, peer } from '../testing/fixtures'
import { generateKeyPair } from '../tunnels/keys'
import { PathMonitor, type PathMonitorOptions } from './monitor'
import { captureLogger, countingClock, FakeWireGuard, MemoryUnderlay } from './testing'

export const A0 = '192.0.2.1'
export const A1 = '192.0.2.5'
export const B0 = '198.51.100.1'
export const CONTROL_PLANE = '203.0.113.10'
export const BFD_MS = 50
export const BFD_MULT = 3
/** Far above BFD detection, so a failover within it can only come from the BFD event. */
export const PROBE_INTERVAL_MS = 1_000
export const MESH = MESH_DEFAULTS.meshTable
export const VOICE_TABLE = MESH_DEFAULTS.classTableBase
export const CLASS_RULE_PRIORITY = MESH_DEFAULTS.rulePriorityBase + 40
export const CP_RULE_PRIORITY = MESH_DEFAULTS.rulePriorityBase + 101

const uplink = (id: string, slot: number, host: string): DesiredUplink => ({
  id,
  name: `uplink-${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: host,
  basePort: 51820,
  bandwidthMbps: null,
  costPerGb: null,
  priority: 0,
})

export const voice = {
  id: 'pol_voice',
  name: 'voice',
  priority: 10,
  match: { destinationPrefixes: ['10.9.1.0/24'] },
  action: { preference: 'lowest-latency' as const },
}

/** Each site's desired state: A (two uplinks) and B (one), peers of each other. */
export function desiredStates(keys: { a: string; b: string }, policies: DesiredState['policies']) {
  const aUplinks = [uplink('upl_a0', 0, A0), uplink('upl_a1', 1, A1)]
  const bUplinks = [uplink('upl_b0', 0, B0)]
  const probes = { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: PROBE_INTERVAL_MS }
  const a = desiredState(1, {
    probes,
    uplinks: aUplinks,
    peers: [peer('site_b', { wireguardPublicKey: keys.b, uplinks: bUplinks })],
    policies,
  })
  const b = desiredState(1, {
    probes,
    site: { ...a.site, id: 'site_b', name: 'branch', prefixes: ['10.9.0.0/16'] },
    uplinks: bUplinks,
    peers: [
      peer('site_1', {
        wireguardPublicKey: keys.a,
        uplinks: aUplinks,
        prefixes: ['10.1.0.0/16'],
        overlayAddress: '100.64.0.1',
      }),
    ],
    policies,
  })
  return { a, b }
}

const open: PathMonitor[] = []

/** Closes every monitor twoSites made (an afterEach of the tests). */
export async function closeSites(): Promise<void> {
  for (const m of open.splice(0)) await m.close().catch(() => {})
}

export interface SiteOptions {
  policies?: DesiredState['policies']
  configure?: (monitor: PathMonitor) => void
  /** Runs before the first reconfig (what a predecessor left, links cut from the start). */
  prepare?: (f: { routing: MemoryRouting; underlay: MemoryUnderlay }) => Promise<void>
  options?: Partial<PathMonitorOptions>
}

export async function twoSites(o: SiteOptions = {}) {
  const clock = new FakeClock()
  const underlay = new MemoryUnderlay(clock)
  const keyA = generateKeyPair()
  const keyB = generateKeyPair()
  const desired = desiredStates({ a: keyA.publicKey, b: keyB.publicKey }, o.policies ?? [voice])
  const wgA = new FakeWireGuard()
  for (const ifname of ['pt0-0', 'pt1-0']) wgA.setPeers(ifname, [keyB.publicKey], 0)
  const wgB = new FakeWireGuard()
  for (const ifname of ['pt0-0', 'pt0-1']) wgB.setPeers(ifname, [keyA.publicKey], 0)
  const common = {
    interfacePrefix: 'pt',
    mode: 'lab' as const,
    bfd: { intervalMs: BFD_MS, multiplier: BFD_MULT },
    openBfd: underlay.openBfd,
    probeSockets: underlay.probeSockets,
  }
  const peerMonitor = new PathMonitor({
    ...common,
    clock,
    routing: memoryRouting({ links: ['pt0-0', 'pt0-1'] }),
    backend: wgB,
    privateKey: keyB.privateKey,
    logger: silentLogger(),
  })
  open.push(peerMonitor)
  const clockA = countingClock(clock)
  const routing = memoryRouting({ links: ['pt0-0', 'pt1-0'] })
  const { logger, lines } = captureLogger()
  const monitor = new PathMonitor({
    ...common,
    clock: clockA,
    routing,
    backend: wgA,
    privateKey: keyA.privateKey,
    logger,
    controlPlaneAddress: CONTROL_PLANE,
    ...o.options,
  })
  open.push(monitor)
  o.configure?.(monitor)
  await o.prepare?.({ routing, underlay })
  await peerMonitor.reconfig(planSite(desired.b, { interfacePrefix: 'pt', mode: 'lab' }))
  await monitor.reconfig(planSite(desired.a, { interfacePrefix: 'pt', mode: 'lab' }))
  /** Moves time in small steps, letting packets and evaluations run between them. */
  const run = async (ms: number, step = 10) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step)
      await settle()
    }
  }
  /** Runs until `done()` holds (at most `maxMs`); returns the time it took. */
  const runUntil = async (done: () => boolean, maxMs: number, step = 5) => {
    const start = clock.now()
    while (!done() && clock.now() - start < maxMs) {
      clock.advance(step)
      await settle()
    }
    return clock.now() - start
  }
  return { clock, clockA, underlay, routing, monitor, peerMonitor, wgA, lines, run, runUntil }
}
