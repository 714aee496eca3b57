/**
 * The data-plane stage, the classifier's companions in the running agent: ECMP for
 * load-balance classes (ecmp.ts, driven by every path-monitor evaluation) and per-uplink
 * HTB shaping (shaping.ts, on every reconfig). Both need the classifier's marks, so the
 * stage is only composed when the classifier is attached; it runs after the tunnels, the
 * monitor and the classifier tables. Apply: the ECMP buckets for the new policies, then
 * shaping. Close: shaping, then ECMP (flows fall back to their class tables).
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ClassifierWiring } from '../bpf/wiring'
import type { ClassDecision } from '../decision'
import type { Logger } from '../logger'
import type { Stage } from '../pipeline/stage'
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

export interface Dataplane extends Stage {
  ecmp: EcmpSteering
  shaper: UplinkShaper | undefined
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
    name: 'dataplane',
    ecmp,
    shaper,
    async apply(plan) {
      ecmp.setPlan(plan)
      ready = true
      await ecmp.update(o.monitor.decisions)
      await shaper?.reconfig(plan.shaping).catch((e: Error) => {
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
