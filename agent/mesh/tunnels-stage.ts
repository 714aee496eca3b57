/**
 * The tunnels stage: one WireGuard interface per (local uplink, remote uplink) pair of the
 * plan, through a WireGuard backend (kernel or wireguard-go), with its peers, MTU, overlay
 * address and loose reverse-path filtering. It touches only interfaces named
 * `<prefix><hex>-<hex>`; an interface of ours that left the plan is removed.
 *
 * rp_filter: strict (1) becomes loose (2) on our interfaces (docs/lab.md: with rp_filter 1
 * an asymmetric return path, legitimate in an SD-WAN, loses everything); off and loose are
 * left as they are.
 */
import type { Stage } from '../pipeline/stage'
import type { Sysctl } from '../routing/sysctl'
import type { Routing } from '../routing/types'
import type { WireGuardBackend, WireGuardDeviceConfig } from '../tunnels/types'
import { attemptAll } from './reconcile'

export interface TunnelsStageOptions {
  backend: WireGuardBackend
  routing: Routing
  /** The site's WireGuard private key (base64); it never leaves the site. */
  privateKey: string
  interfacePrefix: string
  sysctl?: Sysctl | undefined
  log?: (message: string) => void
}

/** rp_filter 2 = loose (RFC 3704 loose mode): the source must be routable by any interface. */
const RP_FILTER_LOOSE = '2'
const rpFilterKey = (ifname: string) => `net/ipv4/conf/${ifname}/rp_filter`

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
}

export function createTunnelsStage(options: TunnelsStageOptions): Stage {
  const { backend, routing, sysctl } = options
  const log = options.log ?? (() => {})
  const ownName = new RegExp(`^${escapeRegExp(options.interfacePrefix)}[0-9a-f]-[0-9a-f]$`)

  async function ownInterfaces(): Promise<string[]> {
    return (await backend.list()).filter((name) => ownName.test(name))
  }

  async function ensureLooseRpFilter(ifname: string): Promise<void> {
    if (!sysctl) return
    const key = rpFilterKey(ifname)
    const value = await sysctl.read(key)
    if (value === undefined || value === '0' || value === RP_FILTER_LOOSE) return
    await sysctl.write(key, RP_FILTER_LOOSE)
  }

  const stage: Stage = {
    name: 'tunnels',
    async apply(plan) {
      for (const iface of plan.mesh.interfaces) {
        await backend.up(iface.name)
        await ensureLooseRpFilter(iface.name)
        const config: WireGuardDeviceConfig = {
          privateKey: options.privateKey,
          listenPort: iface.listenPort,
          fwmark: iface.fwmark,
          peers: iface.peers.map((p) => ({
            publicKey: p.publicKey,
            ...(p.endpoint ? { endpoint: p.endpoint } : {}),
            allowedIps: p.allowedIps,
            persistentKeepalive: iface.keepaliveSeconds,
          })),
        }
        const { changed } = await backend.set(iface.name, config)
        if (changed) log(`${iface.name}: WireGuard config applied (${iface.peers.length} peers)`)
        const link = await routing.link(iface.name)
        if (!link?.up || link.mtu !== iface.mtu) {
          await routing.setLink(iface.name, { mtu: iface.mtu, up: true })
        }
        await routing.ensureAddress(iface.name, iface.address)
      }
      const planned = new Set(plan.mesh.interfaces.map((i) => i.name))
      for (const name of await ownInterfaces()) {
        if (planned.has(name)) continue
        await backend.down(name)
        log(`${name}: removed (no longer in the plan)`)
      }
    },
    async close() {
      const names = await ownInterfaces().catch(() => [] as string[])
      const errors = await attemptAll([
        ...names.map((name): [string, () => Promise<void>] => [
          `down ${name}`,
          () => backend.down(name),
        ]),
        ['backend', () => backend.close()],
      ])
      if (errors.length > 0) throw new Error(errors.join('; '))
    },
  }
  // Reusable: a failed start is undone by the same teardown.
  return { ...stage, undo: stage.close }
}
