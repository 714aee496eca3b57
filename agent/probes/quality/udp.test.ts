import { createSocket } from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { preciseSystemClock } from './clock'
import { QualityProber } from './prober'
import { QualityResponder } from './responder'
import { udpSocketFactory } from './socket'

const KEY = new Uint8Array(32).fill(3)

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return check()
}

describe('quality probes over real UDP on loopback', () => {
  it('echoes authenticated probes between a prober and a responder on 127.0.0.1', async () => {
    const responder = new QualityResponder({
      clock: preciseSystemClock,
      sockets: udpSocketFactory,
      keyFor: (from) => (from.address === '127.0.0.1' ? KEY : undefined),
    })
    await responder.reconfig([{ address: '127.0.0.1', port: 0, slot: 0 }])
    const port = responder.listening[0]!.port
    expect(port).toBeGreaterThan(0)
    const prober = new QualityProber({
      clock: preciseSystemClock,
      sockets: udpSocketFactory,
      intervalMs: 20,
    })
    try {
      await prober.reconfig([
        {
          peerSiteId: 'lo',
          localSlot: 0,
          remoteSlot: 0,
          localAddress: '127.0.0.1',
          remoteAddress: '127.0.0.1',
          remotePort: port,
          key: KEY,
        },
      ])
      prober.start()
      expect(await until(() => (prober.snapshot()[0]?.received ?? 0) >= 10, 20_000)).toBe(true)
      const p = prober.snapshot()[0]!
      expect(p.rttMs!).toBeGreaterThan(0)
      expect(p.rttMs!).toBeLessThan(1000)
      expect(p.mos!).toBeGreaterThan(4)

      // Junk from a plain socket is counted, not fatal.
      const junk = createSocket('udp4')
      await new Promise<void>((r) => junk.send(Buffer.from('hello'), port, '127.0.0.1', () => r()))
      junk.close()
      expect(await until(() => responder.drops.truncated === 1, 10_000)).toBe(true)
      expect(prober.drops.bad_tag).toBe(0)
    } finally {
      await prober.stop()
      await responder.stop()
    }
  })
})
