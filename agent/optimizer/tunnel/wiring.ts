/**
 * The optimizer tunnel in the running agent: a decorator of the engine (like withClassifier and
 * withPathMonitor) and its metrics on the agent's /metrics. A reconfig applies the mesh, the
 * path monitor and the classifier first (the class decisions and WireGuard interfaces the
 * tunnel sends over), then the tunnel; close removes the tunnel's rules first (its classes
 * fall back to the plain tunnel) and only then tears the rest down.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Engine } from '../../engine/engine'
import { OPTIMIZER_METRIC_PREFIX, OptimizerMetrics } from '../codec/metrics'
import type { TunStats } from './tun'
import type { OptimizerTunnel, TunnelDrops } from './tunnel'

export function withOptimizer(engine: Engine, tunnel: OptimizerTunnel): Engine {
  return {
    async reconfig(desired) {
      await engine.reconfig(desired)
      await tunnel.reconfig(desired)
    },
    async close() {
      let failure: unknown
      await tunnel.close().catch((e: unknown) => {
        failure = e
      })
      await engine.close()
      if (failure) throw failure
    },
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
