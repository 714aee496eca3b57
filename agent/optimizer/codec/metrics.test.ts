import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../clock/fake'
import { OptimizerMetrics } from './metrics'
import { OptimizerReceiver } from './receiver'
import { OptimizerSender } from './sender'
import { seededRandom, textPacket } from './testing'

function value(text: string, line: string): number {
  const row = text.split('\n').find((l) => l.startsWith(line))
  return row ? Number(row.slice(line.length).trim()) : Number.NaN
}

describe('optimizer metrics', () => {
  it('reports recovery, redundancy, compression and drops per path, kept after close', async () => {
    const registry = new Registry()
    const metrics = new OptimizerMetrics(registry)
    const clock = new FakeClock()
    const rx = new OptimizerReceiver({ clock, deliver: () => {}, pathLabel: 'lte', metrics })
    const wire: Uint8Array[] = []
    const tx = new OptimizerSender({
      clock,
      send: (d) => wire.push(d),
      k: 4,
      m: 1,
      pathLabel: 'lte',
      metrics,
    })
    for (let i = 0; i < 4; i++) tx.push(textPacket(500, seededRandom(i)))
    for (const d of wire.filter((_, i) => i !== 1)) rx.push(d)
    rx.push(new Uint8Array(3))
    let text = await registry.metrics()
    expect(value(text, 'patronus_agent_wanopt_recovered_packets_total{path="lte"}')).toBe(1)
    expect(value(text, 'patronus_agent_wanopt_redundancy_ratio{path="lte"}')).toBe(0.25)
    expect(value(text, 'patronus_agent_wanopt_packets_total{path="lte"}')).toBe(4)
    expect(value(text, 'patronus_agent_wanopt_parity_packets_total{path="lte"}')).toBe(1)
    expect(value(text, 'patronus_agent_wanopt_compression_ratio{path="lte"}')).toBeLessThan(0.5)
    expect(value(text, 'patronus_agent_wanopt_bytes_saved_total{path="lte"}')).toBeGreaterThan(1000)
    expect(value(text, 'patronus_agent_wanopt_dropped_total{path="lte",reason="truncated"}')).toBe(
      1,
    )
    expect(value(text, 'patronus_agent_wanopt_recovery_wait_seconds_count{path="lte"}')).toBe(1)
    expect(value(text, 'patronus_agent_wanopt_resyncs_total{path="lte"}')).toBe(0)
    tx.close()
    rx.close()
    text = await registry.metrics()
    expect(value(text, 'patronus_agent_wanopt_recovered_packets_total{path="lte"}')).toBe(1)
    expect(value(text, 'patronus_agent_wanopt_packets_total{path="lte"}')).toBe(4)
    // A closed sender has no redundancy in use.
    expect(text).not.toContain('patronus_agent_wanopt_redundancy_ratio{path="lte"}')
  })
})
