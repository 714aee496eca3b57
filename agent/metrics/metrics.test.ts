import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeClock, settle } from '../clock/fake'
import {
  emptyDrops,
  MemoryNetwork,
  type PathQuality,
  QualityProber,
  QualityResponder,
} from '../probes/quality'
import { registerPathMetrics } from './path-metrics'
import { type MetricsServer, startMetricsServer } from './server'

function quality(over: Partial<PathQuality> = {}): PathQuality {
  return {
    peerSiteId: 'site-b',
    localSlot: 0,
    remoteSlot: 1,
    sent: 100,
    received: 97,
    lost: 3,
    late: 0,
    lastRttMs: 42,
    rttMs: 40,
    jitterMs: 2.5,
    loss: { '1s': 0, '10s': 0.03, '60s': null },
    mos: 4.3,
    lastReplyAt: 0,
    ...over,
  }
}

const PATH = 'peer_site="site-b",local_slot="0",remote_slot="1"'

describe('path metrics', () => {
  it('exposes per-path gauges and counters in base units from the snapshot', async () => {
    const registry = new Registry()
    let paths = [quality()]
    const drops = { ...emptyDrops(), bad_tag: 2, replay: 1 }
    const metrics = registerPathMetrics(registry, {
      snapshot: () => paths,
      drops: () => ({ prober: drops, responder: emptyDrops() }),
    })
    metrics.observeRtt({ peerSiteId: 'site-b', localSlot: 0, remoteSlot: 1 }, 40)
    const text = await registry.metrics()
    expect(text).toContain(`patronus_agent_path_rtt_seconds{${PATH}} 0.04\n`)
    expect(text).toContain(`patronus_agent_path_last_rtt_seconds{${PATH}} 0.042\n`)
    expect(text).toContain(`patronus_agent_path_jitter_seconds{${PATH}} 0.0025\n`)
    expect(text).toContain(`patronus_agent_path_mos{${PATH}} 4.3\n`)
    expect(text).toContain(`patronus_agent_path_loss_ratio{${PATH},window="1s"} 0\n`)
    expect(text).toContain(`patronus_agent_path_loss_ratio{${PATH},window="10s"} 0.03\n`)
    expect(text).not.toContain('window="60s"') // no outcome in the window: no sample
    expect(text).toContain(`patronus_agent_path_probes_sent_total{${PATH}} 100\n`)
    expect(text).toContain(`patronus_agent_path_probes_received_total{${PATH}} 97\n`)
    expect(text).toContain(`patronus_agent_path_probes_lost_total{${PATH}} 3\n`)
    expect(text).toContain(
      'patronus_agent_probe_packets_dropped_total{role="prober",reason="bad_tag"} 2\n',
    )
    expect(text).toContain(
      'patronus_agent_probe_packets_dropped_total{role="responder",reason="bad_tag"} 0\n',
    )
    expect(text).toContain(`patronus_agent_path_probe_rtt_seconds_bucket{le="0.05",${PATH}} 1\n`)
    expect(text).toContain(`patronus_agent_path_probe_rtt_seconds_bucket{le="0.025",${PATH}} 0\n`)
    expect(text).toContain('# TYPE patronus_agent_path_probes_sent_total counter')

    // Counters follow the snapshot; a removed path disappears.
    paths = [quality({ sent: 120 })]
    expect(await registry.metrics()).toContain(
      `patronus_agent_path_probes_sent_total{${PATH}} 120\n`,
    )
    paths = []
    expect(await registry.metrics()).not.toContain('patronus_agent_path_rtt_seconds{')
  })

  it('uses only the registry it is given', async () => {
    const a = new Registry()
    const b = new Registry()
    registerPathMetrics(a, { snapshot: () => [quality()] })
    registerPathMetrics(b, { snapshot: () => [] })
    expect(await a.metrics()).toContain('patronus_agent_path_mos{')
    expect(await b.metrics()).not.toContain('patronus_agent_path_mos{')
  })

  it('carries live prober statistics (fake clock, in-memory sockets)', async () => {
    const clock = new FakeClock()
    const net = new MemoryNetwork({ clock, delayMs: () => 10 })
    const key = new Uint8Array(32).fill(5)
    const registry = new Registry()
    let metrics: ReturnType<typeof registerPathMetrics> | undefined
    const prober = new QualityProber({
      clock,
      sockets: net,
      intervalMs: 50,
      onRtt: (p, ms) => metrics?.observeRtt(p, ms),
    })
    const responder = new QualityResponder({ clock, sockets: net, keyFor: () => key })
    metrics = registerPathMetrics(registry, {
      snapshot: () => prober.snapshot(),
      drops: () => ({ prober: prober.drops, responder: responder.drops }),
    })
    await responder.reconfig([{ address: '10.1.0.1', port: 4799, slot: 1 }])
    await prober.reconfig([
      {
        peerSiteId: 'site-b',
        localSlot: 0,
        remoteSlot: 1,
        localAddress: '10.0.0.1',
        remoteAddress: '10.1.0.1',
        remotePort: 4799,
        key,
      },
    ])
    prober.start()
    for (let i = 0; i < 100; i++) {
      clock.advance(10)
      await settle(6)
    }
    await prober.stop()
    const text = await registry.metrics()
    expect(text).toContain(`patronus_agent_path_rtt_seconds{${PATH}} 0.02\n`)
    expect(text).toMatch(
      new RegExp(`patronus_agent_path_probe_rtt_seconds_count\\{${PATH}\\} (19|20)\\n`),
    )
  })
})

describe('metrics server', () => {
  let server: MetricsServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('serves /metrics on loopback and nothing else', async () => {
    const registry = new Registry()
    registerPathMetrics(registry, { snapshot: () => [quality()] })
    server = await startMetricsServer(registry, '127.0.0.1:0')
    expect(server.address.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/metrics`)
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const body = await res.text()
    expect(body).toContain(`patronus_agent_path_rtt_seconds{${PATH}} 0.04`)
    const base = `http://127.0.0.1:${server.address.port}`
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
    await server.close()
    await server.close() // idempotent
    await expect(fetch(server.url)).rejects.toThrow()
  })

  it('reports a port already in use', async () => {
    const registry = new Registry()
    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 })
    await expect(startMetricsServer(registry, `127.0.0.1:${server.address.port}`)).rejects.toThrow(
      /listen metrics on 127.0.0.1:\d+/,
    )
  })
})
