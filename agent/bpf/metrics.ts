/**
 * The classifier's counters on the agent's /metrics, read from its per-CPU maps at scrape
 * time (one read serves the metrics of one scrape): packets and bytes per class (the
 * policy's name; "default" for unmatched traffic) and packets and bytes per recognised
 * application. Nothing is exported while the classifier is not attached.
 */
import { Counter, type Registry } from 'prom-client'
import type { ClassifierWiring, LabelledCounters } from './wiring'

export const CLASSIFIER_METRIC_NAMES = [
  'patronus_agent_class_packets_total',
  'patronus_agent_class_bytes_total',
  'patronus_agent_application_packets_total',
  'patronus_agent_application_bytes_total',
] as const

/** A scrape collects the four metrics at once: one map read, reused for READ_TTL_MS. */
const READ_TTL_MS = 500

export function registerClassifierMetrics(
  registry: Registry,
  wiring: Pick<ClassifierWiring, 'counters'>,
  now: () => number = Date.now,
): void {
  let last: { at: number; read: Promise<LabelledCounters | undefined> } | undefined
  const read = () => {
    const t = now()
    if (!last || t - last.at > READ_TTL_MS) {
      last = { at: t, read: wiring.counters().catch(() => undefined) }
    }
    return last.read
  }
  const counter = (
    name: (typeof CLASSIFIER_METRIC_NAMES)[number],
    help: string,
    label: 'class' | 'application',
    pick: (c: LabelledCounters) => { label: string; packets: number; bytes: number }[],
    field: 'packets' | 'bytes',
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        this.reset()
        const c = await read()
        if (!c) return
        for (const row of pick(c)) this.inc({ [label]: row.label }, row[field])
      },
    })
  counter(
    'patronus_agent_class_packets_total',
    'Packets the eBPF classifier saw per policy class (default = unmatched)',
    'class',
    (c) => c.classes,
    'packets',
  )
  counter(
    'patronus_agent_class_bytes_total',
    'Bytes the eBPF classifier saw per policy class (default = unmatched)',
    'class',
    (c) => c.classes,
    'bytes',
  )
  counter(
    'patronus_agent_application_packets_total',
    'Packets the eBPF classifier saw per recognised application',
    'application',
    (c) => c.applications,
    'packets',
  )
  counter(
    'patronus_agent_application_bytes_total',
    'Bytes the eBPF classifier saw per recognised application',
    'application',
    (c) => c.applications,
    'bytes',
  )
}
