/**
 * Failover results: percentiles, bench/results/failover.json and the "Failover" section
 * of docs/benchmarks.md (between its markers; other sections untouched).
 */
import { readFileSync, writeFileSync } from 'node:fs'

export const START = '<!-- bench:failover:start -->'
export const END = '<!-- bench:failover:end -->'

export function pct(values: number[], p: number): number | null {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (s.length === 0) return null
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return Math.round((s[idx] ?? 0) * 10) / 10
}

export function summary(values: number[]): { p50: number | null; max: number | null } {
  return { p50: pct(values, 50), max: pct(values, 100) }
}

export function writeSection(path: string, markdown: string): void {
  const current = readFileSync(path, 'utf8')
  const start = current.indexOf(START)
  const end = current.indexOf(END)
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + markdown + current.slice(end + END.length)
      : `${current.replace(/\n*$/, '\n')}\n${markdown}\n`
  writeFileSync(path, next)
}
