/**
 * Builds a benchmark org through the real API, one site at a time as an operator and its
 * agent would: create the site, mint an enrollment token, enroll with a fresh Ed25519
 * identity (POST /v1/enroll). Hubs get two uplinks declared by the operator; other sites
 * claim their one uplink in the enrollment request, as the agent CLI does. Sites run
 * `concurrency` at a time; each step is timed so slow setup can be attributed.
 */
import type { AdminClient } from './admin.js'
import { type BenchAgent, newIdentity, PROTOCOL_HEADERS, type SiteRole } from './agent.js'
import { mapLimit } from './pool.js'

export interface SitePlan {
  index: number
  role: SiteRole
}

export interface AddressPlan {
  /** The LAN /24 of site `index` (unique within the org). */
  prefix(index: number): string
  /** host:port of uplink `slot` of site `index` (documentation ranges; never contacted). */
  endpoint(index: number, slot: number): string
}

export interface EnrollStepTimes {
  site: number[]
  uplinks: number[]
  token: number[]
  enroll: number[]
}

export async function enrollSites(
  admin: AdminClient,
  orgId: string,
  baseUrl: string,
  plans: readonly SitePlan[],
  addresses: AddressPlan,
  concurrency: number,
  steps: EnrollStepTimes,
): Promise<BenchAgent[]> {
  const timed = async <T>(into: number[], work: () => Promise<T>): Promise<T> => {
    const start = performance.now()
    const result = await work()
    into.push(performance.now() - start)
    return result
  }
  return mapLimit(plans, concurrency, async ({ index, role }) => {
    const site = await timed(steps.site, () =>
      admin.call<{ id: string }>('POST', '/v1/sites', {
        name: `${role}-${index}`,
        role,
        prefixes: [addresses.prefix(index)],
        labels: { bench: 'control', role },
      }),
    )
    if (role === 'hub') {
      await timed(steps.uplinks, async () => {
        for (let slot = 0; slot < 2; slot++) {
          await admin.call('POST', `/v1/sites/${site.id}/uplinks`, {
            name: `wan${slot + 1}`,
            interface: `eth${slot}`,
            endpoint: addresses.endpoint(index, slot),
            bandwidthMbps: 10_000,
          })
        }
      })
    }
    const token = await timed(steps.token, () =>
      admin.call<{ token: string }>('POST', `/v1/sites/${site.id}/enrollment-tokens`, {}),
    )
    const identity = await newIdentity()
    const enrolled = await timed(steps.enroll, async () => {
      const response = await fetch(`${baseUrl}/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...PROTOCOL_HEADERS },
        body: JSON.stringify({
          token: token.token,
          hostname: `${role}-${index}.bench`,
          agentVersion: '0.1.0-bench',
          identityPublicKey: identity.identityPublicKey,
          wireguardPublicKey: identity.wireguardPublicKey,
          uplinks:
            role === 'hub'
              ? []
              : [{ name: 'wan1', interface: 'eth0', endpoint: addresses.endpoint(index, 0) }],
        }),
      })
      const text = await response.text()
      if (response.status !== 201) throw new Error(`POST /v1/enroll: ${response.status} ${text}`)
      return JSON.parse(text) as { agentId: string; siteId: string }
    })
    return { agentId: enrolled.agentId, siteId: site.id, siteIndex: index, role, orgId, identity }
  })
}
