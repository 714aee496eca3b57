/**
 * Which events open an incident, which close it, and how an incident is keyed (grouping:
 * every matching event with the same key is one alert). Documented in docs/webhooks.md.
 *
 *   opens              closes          incident key
 *   path.down          path.up         site + path (peer site, local slot, remote slot)
 *   path.failover      path.failback   site + class
 *   agent.offline      agent.online    site
 *   anything else      (none)          event type + site; resolves after a quiet period
 */

export const RESOLVED_BY: Record<string, string> = {
  'path.down': 'path.up',
  'path.failover': 'path.failback',
  'agent.offline': 'agent.online',
}

export const OPENED_BY: Record<string, string> = Object.fromEntries(
  Object.entries(RESOLVED_BY).map(([open, close]) => [close, open]),
)

/** Unpaired incidents resolve after this long without a matching event (default). */
export const DEFAULT_QUIET_SECONDS = 300

function pathPart(details: Record<string, unknown>): string {
  const p = details.path as { peerSiteId?: unknown; localSlot?: unknown; remoteSlot?: unknown }
  if (!p || typeof p !== 'object') return '*'
  return `${String(p.peerSiteId)}/${String(p.localSlot)}/${String(p.remoteSlot)}`
}

/** The incident an event (opening or closing) belongs to. */
export function incidentKey(
  type: string,
  siteId: string | null,
  details: Record<string, unknown>,
): string {
  const family = OPENED_BY[type] ?? type
  const site = siteId ?? 'org'
  switch (family) {
    case 'path.down':
      return `path:${site}:${pathPart(details)}`
    case 'path.failover':
      return `class:${site}:${typeof details.class === 'string' ? details.class : '*'}`
    case 'agent.offline':
      return `agent:${site}`
    default:
      return `${family}:${site}`
  }
}

export function describeEvent(type: string, details: Record<string, unknown>): string {
  const path = details.path ? ` on path ${pathPart(details)}` : ''
  const cls = typeof details.class === 'string' ? ` (class ${details.class})` : ''
  return `${type}${path}${cls}`
}
