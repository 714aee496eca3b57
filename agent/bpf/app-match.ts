/**
 * An operator's application is recognised by its SNI/Host names OR by its ports. The
 * classifier ANDs a policy bit's dimensions (application AND ports AND prefixes...), so one
 * bit cannot say "application X, or port P". A policy naming such applications is split
 * into alternatives, each compiled to its own bit with the policy's class (the alternatives
 * of one policy are adjacent bits, so the lowest bit still picks the right policy):
 * - the applications the classifier detects (builtin, default, operator applications with
 *   names), the policy's other dimensions unchanged;
 * - per transport (tcp, udp), no application constraint and the union of the ports of the
 *   named operator applications, intersected with the policy's own ports and protocols
 *   (the policy's other dimensions still apply).
 * The path monitor's class rules use the port alternatives as well (pathmon/class-rules.ts
 * policyRules): a rule can express them, so a site without the classifier steers them too.
 * Pure, so that it is unit tested directly.
 */
import { portBounds } from '../../protocol/applications'
import type { PolicyMatch } from '../../protocol/policy'
import type { AppSignature } from './apps'

type Range = [number, number]
type Transport = 'tcp' | 'udp'

/** Sorted, with overlapping and adjacent ranges joined (fewer classifier port rules). */
function mergeRanges(ranges: Range[]): Range[] {
  const out: Range[] = []
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    const last = out.at(-1)
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else out.push([lo, hi])
  }
  return out
}

function intersectRanges(a: Range[], b: Range[]): Range[] {
  const out: Range[] = []
  for (const [alo, ahi] of a)
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo)
      const hi = Math.min(ahi, bhi)
      if (lo <= hi) out.push([lo, hi])
    }
  return mergeRanges(out)
}

const toPortSpec = ([lo, hi]: Range): number | string => (lo === hi ? lo : `${lo}-${hi}`)

/**
 * The alternatives of one policy match (see the file comment). A match naming no
 * application is its own single alternative; an empty list means the match can never be
 * met (e.g. the applications' ports are all UDP and the policy says TCP).
 * `apps`: the operator's applications (apps.ts operatorApplications).
 */
export function expandApplications(
  match: PolicyMatch,
  apps: Readonly<Record<string, AppSignature>>,
): PolicyMatch[] {
  if (!match.applications?.length) return [match]
  const detected: string[] = []
  const byTransport: Record<Transport, Range[]> = { tcp: [], udp: [] }
  for (const name of match.applications) {
    const sig = Object.hasOwn(apps, name) ? apps[name] : undefined
    for (const p of sig?.ports ?? []) byTransport[p.protocol].push(portBounds(p.ports))
    // Builtin, default and unknown names stay with the classifier (which warns of unknown).
    if (!sig?.ports?.length || sig.names?.length) detected.push(name)
  }
  const out: PolicyMatch[] = []
  if (detected.length) out.push({ ...match, applications: detected })
  const { applications: _named, ...rest } = match
  const protocols = match.protocols?.length && !match.protocols.includes('any') && match.protocols
  const policyPorts = match.ports?.length
    ? mergeRanges(match.ports.map((p) => portBounds(p)))
    : undefined
  for (const transport of ['tcp', 'udp'] as const) {
    if (!byTransport[transport].length) continue
    if (protocols && !protocols.includes(transport)) continue
    const appPorts = mergeRanges(byTransport[transport])
    const ports = policyPorts ? intersectRanges(appPorts, policyPorts) : appPorts
    if (!ports.length) continue
    out.push({ ...rest, protocols: [transport], ports: ports.map(toPortSpec) })
  }
  return out
}
