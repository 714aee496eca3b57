import type { EventView } from '../api/types'
import { Status } from './status'
import { Time } from './time'

/** A compact list of events (newest first) for the overview and site pages. */
export function EventList({
  events,
  siteNames,
  classNames,
  empty = 'No events.',
}: {
  events: EventView[] | undefined
  siteNames: Map<string, string>
  classNames?: Map<string, string>
  empty?: string
}) {
  if (!events) return <p class="muted">Loading…</p>
  if (events.length === 0) return <p class="empty">{empty}</p>
  return (
    <ul class="event-list">
      {events.map((e) => (
        <li key={e.id}>
          <Status value={e.severity} />
          <strong>{e.type}</strong>
          {e.siteId ? <span>{siteNames.get(e.siteId) ?? e.siteId}</span> : null}
          <span class="muted">{summary(e, classNames)}</span>
          <span class="muted" style={{ marginLeft: 'auto' }}>
            <Time at={e.at} />
          </span>
        </li>
      ))}
    </ul>
  )
}

/** The most telling details of an event, in a line. */
export function summary(e: EventView, classNames?: Map<string, string>): string {
  const d = { ...e.details }
  if (typeof d['class'] === 'string') d['class'] = classNames?.get(d['class']) ?? d['class']
  const parts: string[] = []
  for (const key of ['className', 'class', 'reason', 'from', 'to', 'hostname', 'name']) {
    const v = d[key]
    if (v === undefined || v === null || typeof v === 'object') continue
    parts.push(`${key}: ${String(v)}`)
  }
  const path = d['path'] as { localSlot?: unknown; remoteSlot?: unknown } | undefined
  if (path && typeof path === 'object') parts.push(`path ${path.localSlot}→${path.remoteSlot}`)
  return parts.join(' · ')
}
