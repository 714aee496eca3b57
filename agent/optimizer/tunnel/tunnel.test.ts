import { describe, expect, it } from 'vitest'
import type { DesiredState } from '../../../protocol/agent'
import { FakeClock } from '../../clock/fake'
import type { ClassDecision } from '../../decision'
import { silentLogger } from '../../logger'
import { planSite } from '../../plan/site-plan'
import { memoryRouting } from '../../routing/memory'
import { memorySysctl } from '../../routing/sysctl'
import { desiredState, peer } from '../../testing/fixtures'
import { memoryPathSockets, memoryTunDevices } from './memory'
import { OPTIMIZER_TABLE_BASE } from './plan'
import { OptimizerTunnel, type PathView } from './tunnel'

function ipv4(src: string, dst: string, payload = 32): Uint8Array {
  const p = new Uint8Array(20 + payload)
  p[0] = 0x45
  p[9] = 17
  p.set(src.split('.').map(Number), 12)
  p.set(dst.split('.').map(Number), 16)
  for (let i = 20; i < p.length; i++) p[i] = i & 0xff
  return p
}

const decision = (classId: string, peerSiteId: string, slots?: [number, number]): ClassDecision =>
  ({
    classId,
    peerSiteId,
    path: slots ? { peerSiteId, localSlot: slots[0], remoteSlot: slots[1] } : null,
    paths: [],
    reason: 'initial',
    slaViolation: false,
    since: null,
  }) as ClassDecision

function pathView(decisions: ClassDecision[], loss = 0): PathView {
  return {
    decisions,
    prober: {
      snapshot: () =>
        decisions.flatMap((d) =>
          d.path ? [{ ...d.path, loss: { '1s': loss, '10s': loss, '60s': loss } }] : [],
        ),
    },
  }
}

function site(
  id: string,
  overlay: string,
  lan: string,
  other: [string, string, string],
  fec = true,
) {
  return desiredState(1, {
    site: {
      ...desiredState(1).site,
      id,
      overlayAddress: overlay,
      prefixes: [lan],
    },
    peers: [peer(other[0], { overlayAddress: other[1], prefixes: [other[2]] })],
    policies: [
      {
        id: 'pol_voice',
        name: 'voice',
        priority: 10,
        match: { protocols: ['udp'], ports: [5004] },
        action: { preference: 'lowest-latency', fec, compression: true },
      },
    ] as DesiredState['policies'],
  })
}

/** The optimizer's part of the site plan, as the pipeline hands it over. */
const optimizerPlan = (desired: DesiredState) =>
  planSite(desired, { interfacePrefix: 'pw', mode: 'lab' }).optimizer

function tunnelFor(paths: PathView, clock = new FakeClock()) {
  const routing = memoryRouting()
  const devices = memoryTunDevices(routing)
  const sockets = memoryPathSockets()
  const sysctl = memorySysctl()
  const tunnel = new OptimizerTunnel({
    clock,
    routing,
    sysctl,
    paths,
    interfacePrefix: 'pw',
    logger: silentLogger(),
    devices,
    openPathSocket: sockets.open,
    // An ephemeral port on loopback: the overlay address of these sites is not local.
    port: 0,
  })
  return { tunnel, routing, devices, sockets, sysctl }
}

describe('OptimizerTunnel', () => {
  const a = site('site_a', '127.0.0.1', '10.1.0.0/16', ['site_b', '127.0.0.2', '10.2.0.0/16'])
  const b = site('site_b', '127.0.0.2', '10.2.0.0/16', ['site_a', '127.0.0.1', '10.1.0.0/16'])

  it('routes an optimized class into its TUN: TUNs first, then routes, then rules', async () => {
    const { tunnel, routing, devices, sysctl } = tunnelFor(pathView([]))
    await tunnel.reconfig(optimizerPlan(a))
    expect([...devices.tuns.keys()]).toEqual(['pwor', 'pwo0'])
    const calls = routing.calls
    const firstRoute = calls.findIndex((c) => c.startsWith('replace-route'))
    const firstRule = calls.findIndex((c) => c.startsWith('ensure-rule'))
    expect(calls.indexOf('set-link pwo0 {"mtu":1354,"up":true}')).toBeLessThan(firstRoute)
    expect(firstRoute).toBeLessThan(firstRule)
    const state = routing.dump()
    expect(state).toContain(`route table ${OPTIMIZER_TABLE_BASE} 10.2.0.0/16 dev pwo0`)
    expect(state).toMatch(new RegExp(`rule 960: .*lookup ${OPTIMIZER_TABLE_BASE}`))
    expect(state).toContain(`rule 959: fwmark 0x7300 lookup ${OPTIMIZER_TABLE_BASE}`)
    expect(state).toContain('addr pwor 127.0.0.1/32')
    expect(sysctl.values.get('net/ipv4/conf/pwor/rp_filter')).toBe('2')
    expect(tunnel.activeClasses.map((c) => c.name)).toEqual(['voice'])
    await tunnel.close()
  })

  it('sends a class packet on its decided path, and the peer writes it to its receive TUN', async () => {
    const decisions = [
      decision('pol_voice', 'site_b', [1, 0]),
      decision('default', 'site_b', [0, 0]),
    ]
    const left = tunnelFor(pathView(decisions, 0.05))
    const right = tunnelFor(pathView([decision('default', 'site_a', [0, 0])]))
    await left.tunnel.reconfig(optimizerPlan(a))
    await right.tunnel.reconfig(optimizerPlan(b))
    const tun = left.devices.tuns.get('pwo0')
    const packets = Array.from({ length: 30 }, (_, i) => ipv4('10.1.0.5', `10.2.0.${i + 1}`))
    for (const p of packets) tun?.onPacket?.(p)
    // The class's own path (wg 1-0), to the peer's overlay address; 5% loss: parity too.
    const sent = left.sockets.sent
    expect(sent.length).toBeGreaterThan(packets.length)
    expect(new Set(sent.map((s) => `${s.device} ${s.address}`))).toEqual(
      new Set(['pw1-0 127.0.0.2']),
    )
    // Lose the third data datagram: the receiver rebuilds it from parity.
    const lost = sent[2]
    for (const s of sent)
      if (s !== lost) right.tunnel.acceptDatagram(s.datagram, '127.0.0.1', 40000)
    await left.tunnel.close()
    const written = right.devices.tuns.get('pwor')?.written ?? []
    expect(written.length).toBe(packets.length)
    const asText = (x: Uint8Array) => Buffer.from(x).toString('hex')
    expect(new Set(written.map(asText))).toEqual(new Set(packets.map(asText)))
    await right.tunnel.close()
  })

  it('counts what it cannot carry: not IPv4, no peer, no path, unknown or spoofed source', async () => {
    const left = tunnelFor(pathView([]))
    await left.tunnel.reconfig(optimizerPlan(a))
    const tun = left.devices.tuns.get('pwo0')
    const v6 = new Uint8Array(40)
    v6[0] = 0x60
    tun?.onPacket?.(v6)
    tun?.onPacket?.(ipv4('10.1.0.5', '192.0.2.1'))
    tun?.onPacket?.(ipv4('10.1.0.5', '10.2.0.1'))
    expect(left.tunnel.drops).toMatchObject({ not_ipv4: 1, no_peer: 1, no_path: 1 })
    expect(left.sockets.sent).toEqual([])

    // A peer's datagram carrying a packet from outside that peer's prefixes.
    const spoofer = tunnelFor(pathView([decision('default', 'site_a', [0, 0])]))
    await spoofer.tunnel.reconfig(optimizerPlan(b))
    spoofer.devices.tuns.get('pwo0')?.onPacket?.(ipv4('192.0.2.66', '10.1.0.5'))
    const datagram = spoofer.sockets.sent[0]?.datagram
    expect(datagram).toBeDefined()
    left.tunnel.acceptDatagram(datagram ?? new Uint8Array(), '127.0.0.2', 40000)
    left.tunnel.acceptDatagram(datagram ?? new Uint8Array(), '192.0.2.9', 40000)
    expect(left.tunnel.drops).toMatchObject({ spoofed_source: 1, unknown_source: 1 })
    expect(left.devices.tuns.get('pwor')?.written).toEqual([])
    await spoofer.tunnel.close()
    await left.tunnel.close()
  })

  it("checks rebuilt packets against the peer's prefixes of the last reconfig", async () => {
    const left = tunnelFor(pathView([]))
    await left.tunnel.reconfig(optimizerPlan(a))
    const sender = tunnelFor(pathView([decision('default', 'site_a', [0, 0])]))
    await sender.tunnel.reconfig(optimizerPlan(b))
    const send = (src: string) => {
      const before = sender.sockets.sent.length
      sender.devices.tuns.get('pwo0')?.onPacket?.(ipv4(src, '10.1.0.5'))
      const datagram = sender.sockets.sent[before]?.datagram
      expect(datagram).toBeDefined()
      left.tunnel.acceptDatagram(datagram ?? new Uint8Array(), '127.0.0.2', 40000)
    }
    // The peer's receiver is made with its first prefix list...
    send('10.2.0.7')
    expect(left.devices.tuns.get('pwor')?.written).toHaveLength(1)
    // ...and the peer, still connected, moves to another prefix.
    await left.tunnel.reconfig(
      optimizerPlan(
        site('site_a', '127.0.0.1', '10.1.0.0/16', ['site_b', '127.0.0.2', '10.9.0.0/16']),
      ),
    )
    send('10.2.0.8')
    expect(left.tunnel.drops.spoofed_source).toBe(1)
    send('10.9.0.8')
    expect(left.devices.tuns.get('pwor')?.written).toHaveLength(2)
    expect(left.tunnel.drops.spoofed_source).toBe(1)
    await sender.tunnel.close()
    await left.tunnel.close()
  })

  it('keeps the last path while no path is up, as the kernel keeps the last route', async () => {
    const view = { ...pathView([decision('pol_voice', 'site_b', [1, 0])]) }
    const left = tunnelFor(view)
    await left.tunnel.reconfig(optimizerPlan(a))
    const tun = left.devices.tuns.get('pwo0')
    tun?.onPacket?.(ipv4('10.1.0.5', '10.2.0.1'))
    view.decisions = [decision('pol_voice', 'site_b'), decision('default', 'site_b')]
    tun?.onPacket?.(ipv4('10.1.0.5', '10.2.0.2'))
    expect(left.sockets.sent.map((s) => s.device)).toEqual(['pw1-0', 'pw1-0'])
    expect(left.tunnel.drops.no_path).toBe(0)
    await left.tunnel.close()
  })

  it('trusts the loss of a path only once it has been up for the loss window', async () => {
    const clock = new FakeClock()
    let up = false
    const view = { ...pathView([decision('pol_voice', 'site_b', [0, 0])], 0.05) }
    view.isUp = () => up
    const left = tunnelFor(view, clock)
    await left.tunnel.reconfig(optimizerPlan(a))
    const tun = left.devices.tuns.get('pwo0')
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) tun?.onPacket?.(ipv4('10.1.0.5', `10.2.0.${i + 1}`))
    }
    // Down: the window holds the probes lost before it came up; no parity from that.
    burst(20)
    expect(left.sockets.sent).toHaveLength(20)
    up = true
    clock.advance(1_000)
    await new Promise((r) => setImmediate(r))
    burst(20)
    expect(left.sockets.sent).toHaveLength(40)
    // Up for the whole window: its 5% loss now sets the redundancy (repairs follow).
    for (let t = 0; t < 11; t++) {
      clock.advance(1_000)
      await new Promise((r) => setImmediate(r))
    }
    burst(20)
    expect(left.sockets.sent.length).toBeGreaterThan(60)
    await left.tunnel.close()
  })

  it('a class turned off: its rules go before its routes, then its TUN; close removes the rest', async () => {
    const { tunnel, routing, devices } = tunnelFor(pathView([]))
    await tunnel.reconfig(optimizerPlan(a))
    routing.calls.length = 0
    await tunnel.reconfig(
      optimizerPlan(
        site('site_a', '127.0.0.1', '10.1.0.0/16', ['site_b', '127.0.0.2', '10.2.0.0/16'], false),
      ),
    )
    // compression is still on: nothing changes.
    expect(
      routing.calls.filter((c) => c.startsWith('delete-rule') || c.startsWith('delete-route')),
    ).toEqual([])
    const off = {
      ...a,
      policies: a.policies.map((p) => ({ ...p, action: { preference: p.action.preference } })),
    }
    await tunnel.reconfig(optimizerPlan(off as DesiredState))
    const calls = routing.calls
    const lastRule = calls.map((c) => c.startsWith('delete-rule')).lastIndexOf(true)
    const firstRoute = calls.findIndex((c) => c.startsWith('delete-route'))
    expect(lastRule).toBeGreaterThanOrEqual(0)
    expect(lastRule).toBeLessThan(firstRoute)
    expect(firstRoute).toBeLessThan(calls.indexOf('close pwo0'))
    expect(devices.tuns.get('pwo0')?.closed).toBe(true)
    expect(tunnel.activeClasses).toEqual([])
    await tunnel.close()
    expect(devices.tuns.get('pwor')?.closed).toBe(true)
    // Nothing of the tunnel is left: no TUN, route, rule or address.
    expect(routing.dump()).toBe('')
  })
})
