/**
 * The classifier's counters in the telemetry the agent posts every 10 s (docs/qos.md): the
 * per-class and per-application traffic since the previous report, as deltas of the per-CPU
 * map totals (so the control plane just sums them into rollups). A total that went down
 * means the program was reattached (counters restart at zero): its delta is the new total.
 *
 * The daemon asks for a batch synchronously and the maps are read with bpftool
 * (asynchronous), so each batch carries the deltas read after the previous batch was taken,
 * and taking a batch starts the next read: the traffic lags the path samples by one report.
 */
import type { ClassTraffic, TelemetryBatch } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import type { PathReporter } from '../daemon/daemon'
import type { LabelledCounters } from './wiring'

type Totals = Map<string, { packets: number; bytes: number }>

export class ClassTrafficDeltas {
  #last: { classes: Totals; applications: Totals } = { classes: new Map(), applications: new Map() }

  /** Deltas since the previous call (and remembers these totals). */
  next(c: LabelledCounters, at: number): ClassTraffic {
    const delta = (rows: { key: string; packets: number; bytes: number }[], last: Totals) => {
      const now: Totals = new Map()
      const out: { key: string; packets: number; bytes: number }[] = []
      for (const r of rows) {
        const prev = now.get(r.key)
        // Several rows may share a key (two policies named alike): add them up.
        const total = {
          packets: r.packets + (prev?.packets ?? 0),
          bytes: r.bytes + (prev?.bytes ?? 0),
        }
        now.set(r.key, total)
      }
      for (const [key, total] of now) {
        const before = last.get(key)
        const reset = before && (total.packets < before.packets || total.bytes < before.bytes)
        const packets = before && !reset ? total.packets - before.packets : total.packets
        const bytes = before && !reset ? total.bytes - before.bytes : total.bytes
        if (packets > 0 || bytes > 0) out.push({ key, packets, bytes })
      }
      return { now, out }
    }
    const classes = delta(
      c.classes.map((r) => ({ key: r.policyId, packets: r.packets, bytes: r.bytes })),
      this.#last.classes,
    )
    const applications = delta(
      c.applications.map((r) => ({ key: r.label, packets: r.packets, bytes: r.bytes })),
      this.#last.applications,
    )
    this.#last = { classes: classes.now, applications: applications.now }
    return {
      at: Math.floor(at),
      classes: classes.out
        .slice(0, 64)
        .map((r) => ({ class: r.key.slice(0, 64), packets: r.packets, bytes: r.bytes })),
      applications: applications.out
        .slice(0, 256)
        .map((r) => ({ application: r.key.slice(0, 64), packets: r.packets, bytes: r.bytes })),
    }
  }
}

/** The path reporter with the classifier's traffic added to every telemetry batch. */
export function withClassTraffic(
  reporter: PathReporter,
  source: { counters(): Promise<LabelledCounters | undefined> },
  clock: Pick<Clock, 'now'>,
): PathReporter {
  const deltas = new ClassTrafficDeltas()
  let ready: ClassTraffic | undefined
  let reading = false
  const read = () => {
    if (reading) return
    reading = true
    source
      .counters()
      .then((c) => {
        if (!c) return
        const d = deltas.next(c, clock.now())
        // Deltas not yet sent are merged, never dropped, when a batch was skipped.
        ready = ready ? merge(ready, d) : d
      })
      .catch(() => {})
      .finally(() => {
        reading = false
      })
  }
  read()
  return {
    telemetry(): TelemetryBatch {
      const batch = reporter.telemetry()
      const traffic = ready
      ready = undefined
      read()
      return traffic && (traffic.classes.length || traffic.applications.length)
        ? { ...batch, traffic }
        : batch
    },
    takeEvents: (max) => reporter.takeEvents(max),
    requeue: (events) => reporter.requeue(events),
    onEvents: (listener) => reporter.onEvents(listener),
    uplinkStates: () => reporter.uplinkStates(),
  }
}

function merge(a: ClassTraffic, b: ClassTraffic): ClassTraffic {
  const add = <K extends 'class' | 'application'>(
    key: K,
    x: ({ [k in K]: string } & { packets: number; bytes: number })[],
    y: ({ [k in K]: string } & { packets: number; bytes: number })[],
  ) => {
    const m = new Map<string, { packets: number; bytes: number }>()
    for (const r of [...x, ...y]) {
      const p = m.get(r[key]) ?? { packets: 0, bytes: 0 }
      m.set(r[key], { packets: p.packets + r.packets, bytes: p.bytes + r.bytes })
    }
    return [...m].map(([k, v]) => ({ [key]: k, ...v }) as { [k in K]: string } & typeof v)
  }
  return {
    at: b.at,
    classes: add('class', a.classes, b.classes),
    applications: add('application', a.applications, b.applications),
  }
}
