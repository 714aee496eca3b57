/**
 * The optimizer tunnel in the running agent: the last pipeline stage, and its metrics on
 * the agent's /metrics. It applies after the mesh, the path monitor and the classifier (the
 * class decisions and WireGuard interfaces the tunnel sends over); on close it goes first,
 * removing its rules (its classes fall back to the plain tunnel) before the rest is torn
 * down.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Stage } from '../../pipeline/stage'
import { OPTIMIZER_METRIC_PREFIX, OptimizerMetrics } from '../codec/metrics'
import type { TunStats } from './tun'
import type { OptimizerTunnel, TunnelDrops } from './tunnel'

/** The tunnel as a pipeline stage (see the comment at the top). */
export function optimizerStage(tunnel: OptimizerTunnel): Stage {
  return {
    name: 'optimizer',
    apply: (plan) => tunnel.reconfig(plan.optimizer),
    close: () => tunnel.close(),
  }
}

/** The codec's per-path metrics plus the tunnel's own counters, pulled at scrape time. */
export function registerOptimizerMetrics(registry: Registry, tunnel: OptimizerTunnel): void {
  tunnel.useMetrics(new OptimizerMetrics(registry))
  const registers = [registry]
  new Counter({
    name: `${OPTIMIZER_METRIC_PREFIX}tunnel_dropped_total`,
    help: 'Packets and datagrams the optimizer tunnel dropped before or after the codec, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(tunnel.drops) as [keyof TunnelDrops, number][]) {
        this.inc({ reason }, n)
      }
    },
  })
  new Counter({
    name: `${OPTIMIZER_METRIC_PREFIX}datagrams_received_total`,
    help: 'Datagrams received on the optimizer port (before any check)',
    registers,
    collect() {
      this.reset()
      this.inc(tunnel.datagramsReceived)
    },
  })
  const tunCounter = (name: string, help: string, pick: (s: TunStats) => number) =>
    new Counter({
      name: `${OPTIMIZER_METRIC_PREFIX}${name}`,
      help,
      labelNames: ['device'],
      registers,
      collect() {
        this.reset()
        for (const t of tunnel.tunStats()) this.inc({ device: t.device }, pick(t.stats))
      },
    })
  tunCounter('tun_read_packets_total', 'Packets read from the optimizer TUNs', (s) => s.packetsRead)
  tunCounter(
    'tun_written_packets_total',
    'Packets written to the optimizer TUNs',
    (s) => s.packetsWritten,
  )
  new Gauge({
    name: `${OPTIMIZER_METRIC_PREFIX}classes`,
    help: 'Policy classes currently routed through the optimizer tunnel',
    registers,
    collect() {
      this.set(tunnel.activeClasses.length)
    },
  })
  new Gauge({
    name: `${OPTIMIZER_METRIC_PREFIX}tunnel_up`,
    help: 'The optimizer tunnel runs (1), or is off or unavailable (0)',
    registers,
    collect() {
      this.set(tunnel.state === 'running' ? 1 : 0)
    },
  })
}
