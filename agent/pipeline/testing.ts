/**
 * A site's whole pipeline over the memory fakes, for unit tests without root: routing,
 * WireGuard, sysctl, TUN devices, path sockets and the eBPF classifier all in memory, the
 * stages composed by siteStages exactly as the running agent composes them. `state()`
 * prints everything the pipeline owns as text, so tests compare whole hosts.
 */
import { ClassifierWiring } from '../bpf'
import { classifierStage } from '../bpf/classifier-stage'
import { type MemoryClassifier, memoryClassifier } from '../bpf/memory'
import { FakeClock } from '../clock/fake'
import { createDataplane } from '../dataplane/dataplane'
import { silentLogger } from '../logger'
import { memoryPathSockets, memoryTunDevices } from '../optimizer/tunnel/memory'
import { OptimizerTunnel } from '../optimizer/tunnel/tunnel'
import { optimizerStage } from '../optimizer/tunnel/wiring'
import { monitorStage, PathMonitor } from '../pathmon'
import { MemoryUnderlay } from '../pathmon/testing'
import { type MemoryRouting, memoryRouting } from '../routing/memory'
import { memorySysctl } from '../routing/sysctl'
import { type MemoryWireGuard, memoryWireGuard } from '../tunnels/memory'
import { type SiteStageParts, siteStages } from './site-stages'
import { createStagedPipeline, type StagedPipeline } from './stages'

export const WORLD_PREFIX = 'pt'
const PRIVATE_KEY = Buffer.alloc(32, 7).toString('base64')

export interface SiteWorld {
  pipeline: StagedPipeline
  routing: MemoryRouting
  wireguard: MemoryWireGuard
  classifier: MemoryClassifier
  sysctl: ReturnType<typeof memorySysctl>
  clock: FakeClock
  /** Everything the host holds, as sorted text. */
  state(): string
}

/** The host before the agent: two uplinks with default routes, a LAN, forwarding off. */
export function siteWorld(): SiteWorld {
  const sysctl = memorySysctl({ 'net/ipv4/ip_forward': '0' })
  const routing = memoryRouting({
    // /proc/sys/net/*/conf/<dev>/ goes with the device.
    onLinkRemoved: (name) => {
      for (const key of [...sysctl.values.keys()]) {
        if (key.startsWith(`net/ipv4/conf/${name}/`) || key.startsWith(`net/ipv6/conf/${name}/`))
          sysctl.values.delete(key)
      }
    },
    links: ['eth0', 'eth1', 'lan0'],
    addresses: [
      { dev: 'eth0', cidr: '192.0.2.1/24' },
      { dev: 'eth1', cidr: '198.51.100.1/24' },
    ],
    routes: [
      { dst: '0.0.0.0/0', table: 254, dev: 'eth0', gateway: '192.0.2.254', metric: 100 },
      { dst: '0.0.0.0/0', table: 254, dev: 'eth1', gateway: '198.51.100.254', metric: 200 },
    ],
  })
  routing.calls.length = 0
  const wireguard = memoryWireGuard(routing)
  const clock = new FakeClock()
  const logger = silentLogger()
  const classifier = memoryClassifier('lan0')
  const wiring = new ClassifierWiring({ classifier, routing, logger })
  // The real path monitor over an in-memory underlay where no peer answers: every path
  // stays down, so its decisions (no path) do not depend on timing.
  const underlay = new MemoryUnderlay(clock)
  const monitor = new PathMonitor({
    clock,
    routing,
    backend: wireguard,
    privateKey: PRIVATE_KEY,
    interfacePrefix: WORLD_PREFIX,
    mode: 'lab',
    logger,
    openBfd: underlay.openBfd,
    probeSockets: underlay.probeSockets,
  })
  const decisions = monitor
  const sockets = memoryPathSockets()
  const optimizer = new OptimizerTunnel({
    clock,
    routing,
    sysctl,
    paths: decisions,
    interfacePrefix: WORLD_PREFIX,
    logger,
    devices: memoryTunDevices(routing),
    openPathSocket: sockets.open,
    // An ephemeral port on loopback (the sites' overlay addresses are 127.0.0.x).
    port: 0,
  })
  const parts: SiteStageParts = {
    mesh: {
      backend: wireguard,
      routing,
      sysctl,
      privateKey: PRIVATE_KEY,
      interfacePrefix: WORLD_PREFIX,
      routeDevice: (peer) => monitor.routeDevice(peer),
    },
    monitor: monitorStage(monitor),
    classifier: {
      // The running agent attaches the classifier before the first reconfig.
      ...classifierStage(wiring),
      async apply(plan, previous) {
        if (wiring.state === 'detached') await wiring.start()
        await classifierStage(wiring).apply(plan, previous)
      },
    },
    dataplane: createDataplane({
      monitor: decisions,
      routing,
      wiring,
      logger,
      interfacePrefix: WORLD_PREFIX,
      mode: 'lab',
      qosObject: '/nonexistent/qos.o',
    }),
    optimizer: optimizerStage(optimizer),
  }
  const pipeline = createStagedPipeline({
    stages: siteStages(parts),
    plan: { interfacePrefix: WORLD_PREFIX, mode: 'lab' },
  })
  const state = () =>
    [
      routing.dump(),
      wireguard.dump(),
      classifier.dump(),
      [...sysctl.values.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `sysctl ${k}=${v}`)
        .join('\n'),
    ]
      .filter((part) => part !== '')
      .join('\n')
  return { pipeline, routing, wireguard, classifier, sysctl, clock, state }
}
