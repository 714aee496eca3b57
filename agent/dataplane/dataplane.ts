/**
 * The classifier's companions in the running agent, composed around the engine: ECMP for
 * load-balance classes (ecmp.ts, driven by every path-monitor evaluation) and per-uplink
 * HTB shaping (shaping.ts, on every reconfig). Both need the classifier's marks, so they
 * only run when it is attached. Reconfig: the engine (mesh, monitor, classifier tables)
 * first, then the ECMP buckets for the new policies, then shaping (the tunnels exist by
 * then). Close: shaping, then ECMP (flows fall back to their class tables), then the rest.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { DesiredState } from '../../protocol/agent'
import type { ClassifierWiring } from '../bpf/wiring'
import type { ClassDecision } from '../decision'
import type { Engine } from '../engine/engine'
import type { Logger } from '../logger'
import type { Routing } from '../routing/types'
import { EcmpSteering, type PathLoss } from './ecmp'
import { UplinkShaper } from './shaping'

/** bpf/build/qos.o of this checkout (`npm run build:bpf` builds it with the classifier). */
export const QOS_OBJECT = fileURLToPath(new URL('../../bpf/build/qos.o', import.meta.url))

/** What the data plane needs of the path monitor. */
export interface DecisionSource {
  readonly decisions: readonly ClassDecision[]
  onDecisions(listener: (d: readonly ClassDecision[]) => Promise<void>): () => void
  readonly prober: { snapshot(): readonly PathLoss[] }
}

export interface DataplaneOptions {
  monitor: DecisionSource
  routing: Routing
  wiring: ClassifierWiring
  logger: Logger
  interfacePrefix: string
  mode: 'lab' | 'prod'
  qosObject?: string
}

export interface Dataplane {
  ecmp: EcmpSteering
  shaper: UplinkShaper | undefined
  reconfig(desired: DesiredState): Promise<void>
  close(): Promise<void>
}

export function createDataplane(o: DataplaneOptions): Dataplane {
  const log = o.logger.child({ component: 'dataplane' })
  const ecmp = new EcmpSteering({
    routing: o.routing,
    wiring: o.wiring,
    logger: o.logger,
    interfacePrefix: o.interfacePrefix,
    mode: o.mode,
    quality: () => o.monitor.prober.snapshot(),
  })
  const qosObject = o.qosObject ?? QOS_OBJECT
  let shaper: UplinkShaper | undefined
  if (existsSync(qosObject))
    shaper = new UplinkShaper({
      interfacePrefix: o.interfacePrefix,
      mode: o.mode,
      objectPath: qosObject,
      logger: o.logger,
    })
  else log.warn({ object: qosObject }, 'QoS object missing (npm run build:bpf): no shaping')
  let ready = false
  const unsubscribe = o.monitor.onDecisions((d) => (ready ? ecmp.update(d) : Promise.resolve()))
  return {
    ecmp,
    shaper,
    async reconfig(desired) {
      ecmp.setDesired(desired)
      ready = true
      await ecmp.update(o.monitor.decisions)
      await shaper?.reconfig(desired).catch((e: Error) => {
        // Shaping failing must not stop forwarding: said, and retried on the next reconfig.
        log.error({ err: e.message }, 'uplink shaping')
      })
    },
    async close() {
      unsubscribe()
      const errors: string[] = []
      await shaper?.close().catch((e: Error) => errors.push(e.message))
      await ecmp.close().catch((e: Error) => errors.push(e.message))
      if (errors.length) throw new Error(`dataplane close: ${errors.join('; ')}`)
    },
  }
}

/** The engine with the data plane after it on reconfig and before it on close. */
export function withDataplane(engine: Engine, dataplane: Dataplane): Engine {
  return {
    async reconfig(desired) {
      await engine.reconfig(desired)
      await dataplane.reconfig(desired)
    },
    async close() {
      let failure: unknown
      await dataplane.close().catch((e: unknown) => {
        failure = e
      })
      await engine.close()
      if (failure) throw failure
    },
  }
}
