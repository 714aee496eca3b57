/**
 * Builds the running agent's pipeline for `run` over the real platform: rtnetlink routing, the WireGuard backend picked at start (kernel when the generic-netlink
 * family exists, else wireguard-go; the choice and its reason are logged), /proc/sys for
 * forwarding and rp_filter, and the site's WireGuard private key from the state directory.
 *
 * The stages' order is agent/pipeline/site-stages.ts (the unit tests compose the same list
 * over memory fakes). A failed build undoes what it opened.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Classifier, ClassifierWiring, classifierStage } from '../bpf'
import { withClassTraffic } from '../bpf/traffic-report'
import type { Clock } from '../clock'
import type { PathReporter } from '../daemon/daemon'
import { createDataplane } from '../dataplane/dataplane'
import type { Logger } from '../logger'
import { OptimizerTunnel } from '../optimizer/tunnel/tunnel'
import { optimizerStage } from '../optimizer/tunnel/wiring'
import { monitorStage, PathMonitor } from '../pathmon'
import type { Pipeline } from '../pipeline/pipeline'
import { type SiteStageParts, siteStages } from '../pipeline/site-stages'
import { createStagedPipeline } from '../pipeline/stages'
import { createRtNetlinkRouting } from '../routing/rtnetlink'
import { procSysctl } from '../routing/sysctl'
import { type ScorerWiring, wireScorers } from '../scorers'
import { StateError, type StatePaths } from '../state'
import { selectWireGuardBackend } from '../tunnels/select'
import { type ArtifactSource, type PredictionWiring, wirePrediction } from './predict'

/** Production default: `patwg0-1` is uplink 0 to remote uplink 1. */
export const DEFAULT_INTERFACE_PREFIX = 'patwg'

export interface MeshRunOptions {
  interfacePrefix: string
  wireguard: 'auto' | 'kernel' | 'userspace'
  /** See SitePlanOptions.mode. */
  mode: 'lab' | 'prod'
  /** Overrides of the desired state's BFD interval and multiplier. */
  bfd?: { intervalMs?: number | undefined; multiplier?: number | undefined }
  /** The control plane's IP address, routed through an up uplink (see PathMonitor). */
  controlPlaneAddress?: string | undefined
  /** LAN-facing interface for the eBPF classifier; absent = no classifier. */
  lanInterface?: string | undefined
  /**
   * Where failure-prediction models and scorer plugins come from; absent = no prediction
   * and no scorer stage.
   */
  artifacts?: ArtifactSource | undefined
}

export interface BuiltPipeline {
  pipeline: Pipeline
  /** The path monitor (BFD, quality probes, decisions); absent in dry-run. */
  monitor?: PathMonitor
  /** The eBPF classifier wiring, when a LAN interface was given (attached or unavailable). */
  classifier?: ClassifierWiring
  /** The monitor's telemetry with the classifier's traffic added (absent: the monitor's). */
  reporter?: PathReporter
  /** The WAN optimizer tunnel (fec/compression classes); absent in dry-run. */
  optimizer?: OptimizerTunnel
  /** Failure prediction (its metrics), when an artifact source was given. */
  prediction?: PredictionWiring
  /** Scorer plugins (their metrics), when an artifact source was given. */
  scorers?: ScorerWiring
  /** Closes what the pipeline does not own (the rtnetlink socket); after pipeline.close(). */
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

export async function meshPipelineFor(
  paths: StatePaths,
  options: MeshRunOptions,
  logger: Logger,
  clock: Clock,
): Promise<BuiltPipeline> {
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
    const sysctl = procSysctl()
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
    const artifacts = options.artifacts
    const prediction = artifacts ? wirePrediction(monitor, artifacts, clock, logger) : undefined
    const scorers = artifacts ? wireScorers(monitor, artifacts, clock, logger) : undefined
    const parts: SiteStageParts = {
      mesh: {
        backend: selected.backend,
        routing,
        sysctl,
        privateKey,
        interfacePrefix: options.interfacePrefix,
        log,
        routeDevice: (peer) => monitor.routeDevice(peer),
      },
      scorers: scorers?.stage,
      monitor: monitorStage(monitor),
      prediction: prediction?.stage,
    }
    const optimizer = new OptimizerTunnel({
      clock,
      routing,
      sysctl,
      paths: monitor,
      interfacePrefix: options.interfacePrefix,
      logger,
    })
    const built: Omit<BuiltPipeline, 'pipeline'> = {
      monitor,
      optimizer,
      ...(prediction ? { prediction } : {}),
      ...(scorers ? { scorers } : {}),
      release: () => routing.close(),
    }
    if (options.lanInterface) {
      const wiring = new ClassifierWiring({
        classifier: new Classifier({ ifname: options.lanInterface, objectPath: CLASSIFIER_OBJECT }),
        routing,
        logger,
      })
      const object = await ensureClassifierObject()
      if (object !== true) wiring.unavailable(object)
      else if (await wiring.start()) monitor.steerMarkedClasses(true)
      parts.classifier = classifierStage(wiring)
      built.classifier = wiring
      // ECMP and HTB shaping act on the classifier's marks: only with it attached.
      if (wiring.state === 'attached') {
        parts.dataplane = createDataplane({
          monitor,
          routing,
          wiring,
          logger,
          interfacePrefix: options.interfacePrefix,
          mode: options.mode,
        })
        built.reporter = withClassTraffic(monitor, wiring, clock)
      }
    }
    parts.optimizer = optimizerStage(optimizer)
    const pipeline = createStagedPipeline({
      stages: siteStages(parts),
      plan: { interfacePrefix: options.interfacePrefix, mode: options.mode },
      log,
    })
    return { pipeline, ...built }
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
