/**
 * The site changes whose propagation is timed, and who must (and must not) hear them:
 * a spoke's prefixes reach that spoke and the hubs only; a hub's reach every site of its
 * org; a mesh site's reach the whole mesh. Agents of another org must never be woken.
 */
import type { BenchAgent } from './agent.js'
import type { AddressPlan } from './enroll.js'
import type { ChangeSpec } from './propagation.js'
import { pickRandom } from './scenario.js'

let changeCount = 0

/** A LAN prefix not used by any benchmark site (10.200+ / 172.100+ are never planned). */
function freshPrefix(org: 'hub-and-spoke' | 'mesh'): string {
  changeCount++
  return org === 'mesh' ? `172.${100 + changeCount}.0.0/24` : `10.${200 + changeCount}.0.0/24`
}

function change(
  label: string,
  site: BenchAgent,
  addresses: AddressPlan,
  org: 'hub-and-spoke' | 'mesh',
  affected: BenchAgent[],
  unaffected: BenchAgent[],
): ChangeSpec {
  const marker = freshPrefix(org)
  return {
    label,
    site,
    prefixes: [addresses.prefix(site.siteIndex), marker],
    marker,
    affected,
    unaffected,
  }
}

export function spokeChange(
  agents: readonly BenchAgent[],
  addresses: AddressPlan,
  unaffectedCount: number,
): ChangeSpec {
  const spokes = agents.filter((a) => a.role === 'spoke')
  const [site, ...others] = pickRandom(spokes, unaffectedCount + 1)
  if (!site) throw new Error('no spoke to change')
  const hubs = agents.filter((a) => a.role === 'hub')
  return change('spoke prefixes', site, addresses, 'hub-and-spoke', [site, ...hubs], others)
}

export function hubChange(
  agents: readonly BenchAgent[],
  addresses: AddressPlan,
  spokeCount: number,
  otherOrg: readonly BenchAgent[],
): ChangeSpec {
  const hubs = agents.filter((a) => a.role === 'hub')
  const site = pickRandom(hubs, 1)[0]
  if (!site) throw new Error('no hub to change')
  const spokes = pickRandom(
    agents.filter((a) => a.role === 'spoke'),
    spokeCount,
  )
  return change(
    'hub prefixes',
    site,
    addresses,
    'hub-and-spoke',
    [...hubs, ...spokes],
    [...pickRandom(otherOrg, 50)],
  )
}

export function meshChange(
  agents: readonly BenchAgent[],
  addresses: AddressPlan,
  affectedCount: number,
  otherOrg: readonly BenchAgent[],
): ChangeSpec {
  const [site, ...others] = pickRandom(agents, affectedCount)
  if (!site) throw new Error('no mesh site to change')
  return change(
    'mesh site prefixes',
    site,
    addresses,
    'mesh',
    [site, ...others],
    [...pickRandom(otherOrg, 50)],
  )
}
