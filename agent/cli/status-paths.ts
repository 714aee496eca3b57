/**
 * The per-path part of `patronus-agent status`: from paths-status.json (written by the
 * running daemon) and the cached desired state (for names), one line per path with its
 * state, RTT, loss and the traffic classes it carries now. Pure, so it is tested on fixtures.
 */
import type { DesiredState } from '../../protocol/agent'
import type { Maintenance } from '../service/maintenance'
import { PATHS_STATUS_INTERVAL_MS, type PathsStatus } from '../service/paths-status'

/** Older than this, the file is not being refreshed: the agent is probably not running. */
export const STALE_AFTER_MS = 3 * PATHS_STATUS_INTERVAL_MS

export interface PathLine {
  peer: string
  local: string
  remote: string
  state: 'up' | 'down'
  rttMs: number | null
  lossPct: number
  classes: string[]
}

const key = (p: { peerSiteId: string; localSlot: number; remoteSlot: number }) =>
  `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

/** Paths with names from the desired state (ids and slot numbers when it lacks them). */
export function pathLines(status: PathsStatus, desired: DesiredState | undefined): PathLine[] {
  const localName = new Map(desired?.uplinks.map((u) => [u.slot, u.name]))
  const peers = new Map(desired?.peers.map((p) => [p.siteId, p]))
  const policyName = new Map(desired?.policies.map((p) => [p.id, p.name]))
  const classes = new Map<string, string[]>()
  for (const c of status.classes) {
    const list = classes.get(key(c)) ?? []
    list.push(policyName.get(c.class) ?? c.class)
    classes.set(key(c), list)
  }
  return status.paths.map((p) => {
    const peer = peers.get(p.peerSiteId)
    const remote = peer?.uplinks.find((u) => u.slot === p.remoteSlot)
    return {
      peer: peer?.siteName ?? p.peerSiteId,
      local: localName.get(p.localSlot) ?? `slot ${p.localSlot}`,
      remote: remote?.name ?? `slot ${p.remoteSlot}`,
      state: p.state,
      rttMs: p.rttMs,
      lossPct: p.lossPct,
      classes: classes.get(key(p)) ?? [],
    }
  })
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`
}

const pad = (text: string, width: number) => text.padEnd(width)

/** The status lines about maintenance and paths (each ends with a newline). */
export function describePaths(options: {
  status: PathsStatus | undefined
  desired: DesiredState | undefined
  maintenance: Maintenance | undefined
  now: number
}): string {
  const { status, desired, maintenance, now } = options
  const out: string[] = []
  if (maintenance) {
    const why = maintenance.reason ? ` (${maintenance.reason})` : ''
    out.push(`mode      maintenance since ${maintenance.since}${why}; \`up\` resumes`)
  }
  if (!status) {
    out.push('paths     (no report: the agent has not run since this version was installed)')
    return `${out.join('\n')}\n`
  }
  const at = Date.parse(status.at)
  const stale = now - at > STALE_AFTER_MS ? '; stale: is the agent running?' : ''
  if (status.mode === 'maintenance') {
    out.push(`paths     none: pipeline closed for maintenance (${age(now - at)}${stale})`)
    return `${out.join('\n')}\n`
  }
  const lines = pathLines(status, desired)
  out.push(`paths     ${lines.length} as of ${status.at} (${age(now - at)}${stale})`)
  if (lines.length === 0) return `${out.join('\n')}\n`
  const rows = lines.map((l) => [
    `${l.peer} ${l.local}->${l.remote}`,
    l.state,
    l.rttMs === null ? '-' : `${l.rttMs.toFixed(1)} ms`,
    `${l.lossPct.toFixed(1)}%`,
    l.classes.join(', ') || '-',
  ])
  const header = ['PATH', 'STATE', 'RTT', 'LOSS', 'CLASSES']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  for (const row of [header, ...rows]) {
    const cells = row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
    out.push(`  ${cells.join('  ')}`)
  }
  return `${out.join('\n')}\n`
}
