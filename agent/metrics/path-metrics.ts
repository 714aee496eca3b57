/**
 * Per-path quality metrics, in base units with Prometheus naming (seconds, ratios, _total
 * counters), labelled by path: peer_site, local_slot, remote_slot. Gauges and counters are
 * pulled from the prober's snapshot at scrape time (a removed path disappears); the RTT
 * histogram is pushed, one observation per reply (wire `observeRtt` to the prober's onRtt).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { DropCounts, PathQuality, ProbePathRef } from '../probes/quality'
import { LOSS_WINDOWS, type LossWindow } from '../probes/quality/stats'

export interface PathMetricsSource {
  snapshot(): readonly PathQuality[]
  /** Drop counters of the prober and the responder (monotonic). */
  drops?(): { prober?: Readonly<DropCounts>; responder?: Readonly<DropCounts> }
}

export interface PathMetrics {
  observeRtt(path: ProbePathRef, rttMs: number): void
}

const PATH_LABELS = ['peer_site', 'local_slot', 'remote_slot'] as const

function labels(p: ProbePathRef) {
  return {
    peer_site: p.peerSiteId,
    local_slot: String(p.localSlot),
    remote_slot: String(p.remoteSlot),
  }
}

/** RTT buckets, seconds: 0.5 ms to 2.5 s. */
export const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export function registerPathMetrics(registry: Registry, source: PathMetricsSource): PathMetrics {
  const registers = [registry]
  const gauge = (
    name: string,
    help: string,
    value: (p: PathQuality) => number | null,
  ): Gauge<(typeof PATH_LABELS)[number]> =>
    new Gauge({
      name,
      help,
      labelNames: PATH_LABELS,
      registers,
      collect() {
        this.reset()
        for (const p of source.snapshot()) {
          const v = value(p)
          if (v !== null) this.set(labels(p), v)
        }
      },
    })
  const counter = (name: string, help: string, value: (p: PathQuality) => number) =>
    new Counter({
      name,
      help,
      labelNames: PATH_LABELS,
      registers,
      collect() {
        this.reset()
        for (const p of source.snapshot()) this.inc(labels(p), value(p))
      },
    })
  const ms = (v: number | null) => (v === null ? null : v / 1000)

  gauge(
    'patronus_agent_path_rtt_seconds',
    'Smoothed round-trip time (EWMA, gain 1/8) of quality probes.',
    (p) => ms(p.rttMs),
  )
  gauge(
    'patronus_agent_path_last_rtt_seconds',
    'Round-trip time of the last answered quality probe.',
    (p) => ms(p.lastRttMs),
  )
  gauge(
    'patronus_agent_path_jitter_seconds',
    'Interarrival jitter (RFC 3550 estimator) of round-trip times.',
    (p) => ms(p.jitterMs),
  )
  gauge(
    'patronus_agent_path_mos',
    'Estimated mean opinion score (ITU-T G.107 E-model, G.711), 1 to 4.5.',
    (p) => p.mos,
  )
  new Gauge({
    name: 'patronus_agent_path_loss_ratio',
    help: 'Fraction of quality probes lost over a sliding window (1s, 10s, 60s).',
    labelNames: [...PATH_LABELS, 'window'],
    registers,
    collect() {
      this.reset()
      for (const p of source.snapshot()) {
        for (const w of Object.keys(LOSS_WINDOWS) as LossWindow[]) {
          const v = p.loss[w]
          if (v !== null) this.set({ ...labels(p), window: w }, v)
        }
      }
    },
  })
  counter('patronus_agent_path_probes_sent_total', 'Quality probes sent.', (p) => p.sent)
  counter(
    'patronus_agent_path_probes_received_total',
    'Quality probe replies accepted.',
    (p) => p.received,
  )
  counter(
    'patronus_agent_path_probes_lost_total',
    'Quality probes with no reply within the timeout.',
    (p) => p.lost,
  )
  new Counter({
    name: 'patronus_agent_probe_packets_dropped_total',
    help: 'Quality probe packets dropped on receipt, by role (prober, responder) and reason.',
    labelNames: ['role', 'reason'],
    registers,
    collect() {
      this.reset()
      const drops = source.drops?.() ?? {}
      for (const role of ['prober', 'responder'] as const) {
        const counts = drops[role]
        if (!counts) continue
        for (const [reason, n] of Object.entries(counts)) this.inc({ role, reason }, n)
      }
    },
  })
  const histogram = new Histogram({
    name: 'patronus_agent_path_probe_rtt_seconds',
    help: 'Round-trip times of answered quality probes.',
    labelNames: PATH_LABELS,
    buckets: RTT_BUCKETS,
    registers,
  })
  return {
    observeRtt(path, rttMs) {
      histogram.observe(labels(path), rttMs / 1000)
    },
  }
}
