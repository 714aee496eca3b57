/**
 * A bare-underlay path between two lab LAN hosts, for comparison with the tunnel in the
 * same run: secondary addresses 10.20.<site>.0/24 on each LAN, routed in plain IP through
 * the sites and the WAN router (no WireGuard), so both paths cross the same hops (LAN host,
 * site, WAN router, site, LAN host). The mesh's rules only match its own prefixes, so the
 * two paths coexist.
 */
import type { Lab, LabSite } from '../../test/lab/harness'

export const underlayPrefix = (site: number) => `10.20.${site}.0/24`
export const underlayGateway = (site: number) => `10.20.${site}.1`
export const underlayHost = (site: number) => `10.20.${site}.2`

async function ip(lab: Lab, ns: string, args: string[]): Promise<void> {
  const res = await lab.exec(ns, 'ip', args)
  if (res.code !== 0) throw new Error(`ip ${args.join(' ')} in ${ns}: ${res.stderr.trim()}`)
}

/** Adds the plain path between sites `a` and `b` over their uplink 0. */
export async function addUnderlayPath(lab: Lab, a: LabSite, b: LabSite): Promise<void> {
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const lanIf = lab.names.lanIf
    const hostIf = lab.names.hostIf
    const uplink = lab.uplink(self.index, 0)
    await ip(lab, self.ns, ['addr', 'add', `${underlayGateway(self.index)}/24`, 'dev', lanIf])
    await ip(lab, self.hostNs, ['addr', 'add', `${underlayHost(self.index)}/24`, 'dev', hostIf])
    await ip(lab, self.ns, [
      'route',
      'add',
      underlayPrefix(other.index),
      'via',
      uplink.gateway,
      'dev',
      uplink.ifname,
    ])
    await ip(lab, lab.wanNs, [
      'route',
      'add',
      underlayPrefix(self.index),
      'via',
      uplink.address,
      'dev',
      uplink.wanIfname,
    ])
  }
}

/** `ip route get` in a site namespace: which device a destination leaves by. */
export async function routeDevice(lab: Lab, ns: string, dst: string, from?: string) {
  const args = ['-o', 'route', 'get', dst, ...(from ? ['from', from] : [])]
  const res = await lab.exec(ns, 'ip', args)
  return /\bdev (\S+)/.exec(res.stdout)?.[1] ?? `? (${res.stdout.trim() || res.stderr.trim()})`
}
