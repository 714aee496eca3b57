/**
 * Builds the real engine for `run`: rtnetlink routing, the WireGuard backend picked at
 * start (kernel when the generic-netlink family exists, else wireguard-go; the choice and
 * its reason are logged), /proc/sys for forwarding and rp_filter, and the site's
 * WireGuard private key from the state directory. A failed build undoes what it opened.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Classifier, ClassifierWiring, withClassifier } from '../bpf'
import { withClassTraffic } from '../bpf/traffic-report'
import type { Clock } from '../clock'
import type { PathReporter } from '../daemon/daemon'
import { createDataplane, withDataplane } from '../dataplane/dataplane'
import type { Engine } from '../engine/engine'
import { createMeshEngine } from '../engine/mesh-engine'
import type { Logger } from '../logger'
import { OptimizerTunnel } from '../optimizer/tunnel/tunnel'
import { withOptimizer } from '../optimizer/tunnel/wiring'
import { PathMonitor, withPathMonitor } from '../pathmon'
import { createRtNetlinkRouting } from '../routing/rtnetlink'
import { procSysctl } from '../routing/sysctl'
import { StateError, type StatePaths } from '../state'
import { selectWireGuardBackend } from '../tunnels/select'

/** Production default: `patwg0-1` is uplink 0 to remote uplink 1. */
export const DEFAULT_INTERFACE_PREFIX = 'patwg'

export interface MeshRunOptions {
  interfacePrefix: string
  wireguard: 'auto' | 'kernel' | 'userspace'
  /** See MeshPlanOptions.mode. */
  mode: 'lab' | 'prod'
  /** Overrides of the desired state's BFD interval and multiplier. */
  bfd?: { intervalMs?: number | undefined; multiplier?: number | undefined }
  /** The control plane's IP address, routed through an up uplink (see PathMonitor). */
  controlPlaneAddress?: string | undefined
  /** LAN-facing interface for the eBPF classifier; absent = no classifier. */
  lanInterface?: string | undefined
}

export interface BuiltEngine {
  engine: Engine
  /** The path monitor (BFD, quality probes, decisions); absent in dry-run. */
  monitor?: PathMonitor
  /** The eBPF classifier wiring, when a LAN interface was given (attached or unavailable). */
  classifier?: ClassifierWiring
  /** The monitor's telemetry with the classifier's traffic added (absent: the monitor's). */
  reporter?: PathReporter
  /** The WAN optimizer tunnel (fec/compression classes); absent in dry-run. */
  optimizer?: OptimizerTunnel
  /** Closes what the engine does not own (the rtnetlink socket); after engine.close(). */
  release(): void
}

async function readWireGuardKey(paths: StatePaths): Promise<string> {
  let text: string
  try {
    text = (await readFile(paths.wireguardKey, 'utf8')).trim()
  } catch (error) {
    throw new StateError(`read WireGuard key ${paths.wireguardKey}: ${(error as Error).message}`)
  }
  // Never echo the content: only say the file is not a key.
  if (Buffer.from(text, 'base64').length !== 32) {
    throw new StateError(`WireGuard key ${paths.wireguardKey} is not 32 bytes of base64`)
  }
  return text
}

export async function meshEngineFor(
  paths: StatePaths,
  options: MeshRunOptions,
  logger: Logger,
  clock: Clock,
): Promise<BuiltEngine> {
  const privateKey = await readWireGuardKey(paths)
  const routing = createRtNetlinkRouting()
  try {
    const log = (message: string) => logger.info({}, message)
    const selected = await selectWireGuardBackend({
      prefer: options.wireguard,
      routing,
      userspace: { log },
    })
    logger.info(
      { backend: selected.backend.kind, reason: selected.reason },
      `WireGuard backend: ${selected.backend.kind}`,
    )
    const monitor = new PathMonitor({
      clock,
      routing,
      backend: selected.backend,
      privateKey,
      interfacePrefix: options.interfacePrefix,
      mode: options.mode,
      logger,
      ...(options.bfd ? { bfd: options.bfd } : {}),
      controlPlaneAddress: options.controlPlaneAddress,
    })
    const mesh = createMeshEngine({
      backend: selected.backend,
      routing,
      sysctl: procSysctl(),
      privateKey,
      interfacePrefix: options.interfacePrefix,
      mode: options.mode,
      log,
      routeDevice: (peer) => monitor.routeDevice(peer),
    })
    const engine = withPathMonitor(mesh, monitor)
    // Outermost: its reconfig runs after the class decisions exist, its close runs first.
    const optimizer = new OptimizerTunnel({
      clock,
      routing,
      sysctl: procSysctl(),
      paths: monitor,
      interfacePrefix: options.interfacePrefix,
      logger,
    })
    if (!options.lanInterface) {
      return {
        engine: withOptimizer(engine, optimizer),
        monitor,
        optimizer,
        release: () => routing.close(),
      }
    }
    const wiring = new ClassifierWiring({
      classifier: new Classifier({ ifname: options.lanInterface, objectPath: CLASSIFIER_OBJECT }),
      routing,
      logger,
    })
    const built = await ensureClassifierObject()
    if (built !== true) wiring.unavailable(built)
    else if (await wiring.start()) monitor.steerMarkedClasses(true)
    // ECMP and HTB shaping act on the classifier's marks: only with it attached.
    const dataplane =
      wiring.state === 'attached'
        ? createDataplane({
            monitor,
            routing,
            wiring,
            logger,
            interfacePrefix: options.interfacePrefix,
            mode: options.mode,
          })
        : undefined
    const classified = withClassifier(engine, wiring)
    return {
      engine: withOptimizer(
        dataplane ? withDataplane(classified, dataplane) : classified,
        optimizer,
      ),
      optimizer,
      ...(wiring.state === 'attached'
        ? { reporter: withClassTraffic(monitor, wiring, clock) }
        : {}),
      monitor,
      classifier: wiring,
      release: () => routing.close(),
    }
  } catch (error) {
    routing.close()
    throw error
  }
}

/** bpf/build/classifier.o of this checkout (`npm run build:bpf`). */
export const CLASSIFIER_OBJECT = fileURLToPath(
  new URL('../../bpf/build/classifier.o', import.meta.url),
)

/** Builds the classifier object when it is missing: true, or why it cannot be built. */
async function ensureClassifierObject(): Promise<true | string> {
  if (existsSync(CLASSIFIER_OBJECT)) return true
  try {
    const { buildBpf } = (await import('../../bpf/build.mjs' as string)) as {
      buildBpf: () => string[]
    }
    buildBpf()
  } catch (error) {
    return `build ${CLASSIFIER_OBJECT}: ${(error as Error).message}`
  }
  return existsSync(CLASSIFIER_OBJECT) ? true : `${CLASSIFIER_OBJECT} was not built`
}
