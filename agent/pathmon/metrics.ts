/**
 * The path monitor's Prometheus metrics: the quality probes' per-path metrics
 * (agent/metrics registerPathMetrics) plus BFD, pulled at scrape time: session state per
 * path (1 = Up), packet counters and drops per local uplink address, and path liveness.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { registerPathMetrics } from '../metrics'
import { totalDropped } from '../probes/bfd'
import type { PathMonitor } from './monitor'

const PATH_LABELS = ['peer_site', 'local_slot', 'remote_slot'] as const

export function registerMonitorMetrics(registry: Registry, monitor: PathMonitor): void {
  const registers = [registry]
  const paths = registerPathMetrics(registry, {
    snapshot: () => monitor.prober.snapshot(),
    drops: () => ({ prober: monitor.prober.drops, responder: monitor.responder.drops }),
  })
  monitor.observeRtt((path, ms) => paths.observeRtt(path, ms))
  new Gauge({
    name: 'patronus_agent_bfd_session_up',
    help: 'BFD session state per path (1 = Up)',
    labelNames: PATH_LABELS,
    registers,
    collect() {
      this.reset()
      for (const s of monitor.bfd.sessions()) {
        this.set(labelsOf(s.target.ref), s.session.state === 'Up' ? 1 : 0)
      }
    },
  })
  new Gauge({
    name: 'patronus_agent_path_up',
    help: 'Path liveness per path (BFD up and tunnel alive)',
    labelNames: PATH_LABELS,
    registers,
    collect() {
      this.reset()
      for (const s of monitor.bfd.sessions())
        this.set(labelsOf(s.target.ref), monitor.isUp(s.key) ? 1 : 0)
    },
  })
  const bfdCounter = (
    name: string,
    help: string,
    pick: (c: { sent: number; received: number; accepted: number; dropped: number }) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ['local_address'],
      registers,
      collect() {
        this.reset()
        for (const { localAddress, snapshot } of monitor.bfd.snapshots()) {
          const c = snapshot.counters
          this.inc(
            { local_address: localAddress },
            pick({
              sent: c.sent,
              received: c.received,
              accepted: c.accepted,
              dropped: totalDropped(c),
            }),
          )
        }
      },
    })
  bfdCounter('patronus_agent_bfd_packets_sent_total', 'BFD control packets sent', (c) => c.sent)
  bfdCounter(
    'patronus_agent_bfd_packets_received_total',
    'BFD control packets received',
    (c) => c.received,
  )
  bfdCounter(
    'patronus_agent_bfd_packets_accepted_total',
    'BFD control packets accepted by a session',
    (c) => c.accepted,
  )
  bfdCounter(
    'patronus_agent_bfd_packets_dropped_total',
    'BFD control packets dropped (any reason)',
    (c) => c.dropped,
  )
}

function labelsOf(p: { peerSiteId: string; localSlot: number; remoteSlot: number }) {
  return {
    peer_site: p.peerSiteId,
    local_slot: String(p.localSlot),
    remote_slot: String(p.remoteSlot),
  }
}
