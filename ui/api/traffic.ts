/** Classifier traffic for display: totals in words, series on one time axis as rates. */
import type { SiteTraffic } from './types'

export interface TrafficRow {
  key: string
  name: string
  packets: number
  bytes: number
  /** Share of all the bytes in its list, 0-100. */
  sharePct: number
}

/** Class rows named by policy ("default" for unmatched, the id of a policy since deleted). */
export function classRows(traffic: SiteTraffic): TrafficRow[] {
  return rows(
    traffic.classes.map((c) => ({
      key: c.class,
      name: c.className ?? `${c.class} (deleted policy)`,
      packets: c.packets,
      bytes: c.bytes,
    })),
  )
}

export function applicationRows(traffic: SiteTraffic): TrafficRow[] {
  return rows(
    traffic.applications.map((a) => ({
      key: a.application,
      name: a.application,
      packets: a.packets,
      bytes: a.bytes,
    })),
  )
}

/** Largest first, each with its share of the list's bytes. */
function rows(items: Omit<TrafficRow, 'sharePct'>[]): TrafficRow[] {
  const total = items.reduce((sum, r) => sum + r.bytes, 0)
  return items
    .map((r) => ({ ...r, sharePct: total > 0 ? (r.bytes / total) * 100 : 0 }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
}

/**
 * Each class's mean rate per step in Mbit/s over the whole range (times in seconds). A step
 * with no rollup is 0, not a gap: the agent stores nothing for a minute without traffic.
 */
export function classRates(traffic: SiteTraffic) {
  const step = traffic.stepSeconds * 1000
  const from = Date.parse(traffic.from)
  const count = Math.max(0, Math.ceil((Date.parse(traffic.to) - from) / step))
  const times = Array.from({ length: count }, (_, i) => from + i * step)
  const series = traffic.classes.map((c) => {
    const bytes = new Map(c.points.map((p) => [Date.parse(p.t), p.bytes]))
    return {
      label: c.className ?? c.class,
      values: times.map((t) => ((bytes.get(t) ?? 0) * 8) / traffic.stepSeconds / 1e6),
    }
  })
  return { times: times.map((t) => t / 1000), series }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']

/** 1234567 -> "1.23 MB" (decimal units, as link rates are quoted). */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}

/** 1234567 -> "1,234,567": a fixed locale, so the page reads the same for every operator. */
export const formatCount = (n: number): string => n.toLocaleString('en-US')
