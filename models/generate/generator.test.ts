import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_GENERATOR, FIXTURE_TRACES } from '../fixture'
import { formatBfd, formatEvents, formatProbes } from '../trace/format'
import { assignSplits } from './dataset'
import { FAILURE_LOSS, generateTrace } from './generator'
import { createRng } from './rng'

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'traces')

describe('trace generator', () => {
  it('gives the same trace for the same seed and another for another seed', () => {
    const a = generateTrace('x', 42)
    const b = generateTrace('x', 42)
    const c = generateTrace('x', 43)
    expect(formatProbes(a.probes)).toBe(formatProbes(b.probes))
    expect(a.events).toEqual(b.events)
    expect(formatProbes(a.probes)).not.toBe(formatProbes(c.probes))
  })

  it('reproduces the committed fixture traces byte for byte', () => {
    for (const { name, seed } of FIXTURE_TRACES) {
      const trace = generateTrace(name, seed, FIXTURE_GENERATOR)
      const read = (ext: string) => readFileSync(join(fixtureDir, `${name}${ext}`), 'utf8')
      expect(formatProbes(trace.probes)).toBe(read('.csv'))
      expect(formatEvents(trace.events)).toBe(read('.events.csv'))
      expect(formatBfd(trace.bfd ?? [])).toBe(read('.bfd.csv'))
    }
  })

  it('has abrupt and precursor failures and SLA violations, consistent with the probes', () => {
    const causes = new Set<string>()
    for (let seed = 1; seed <= 12; seed++) {
      const trace = generateTrace(`t${seed}`, seed)
      for (const e of trace.events) {
        causes.add(`${e.kind}/${e.cause}`)
        expect(e.endMs).toBeGreaterThan(e.startMs)
        if (e.kind !== 'failure' || e.endMs - e.startMs < 3_000) continue
        // A failure of 3 s or more shows in the probes: most of them are lost.
        const inside = trace.probes.filter((p) => p.tMs >= e.startMs && p.tMs < e.endMs)
        const lost = inside.filter((p) => p.rttMs === null).length / inside.length
        expect(lost).toBeGreaterThan(FAILURE_LOSS - 0.15)
      }
      const starts = trace.events.map((e) => e.startMs)
      expect(starts).toEqual([...starts].sort((x, y) => x - y))
    }
    expect(causes).toContain('failure/abrupt')
    expect(causes).toContain('failure/precursor')
    expect(causes).toContain('sla/precursor')
  })

  it('splits by trace, reproducibly, in the asked proportions', () => {
    const names = Array.from({ length: 100 }, (_, i) => `n${i}`)
    const a = assignSplits(names, 7, 0.2, 0.2)
    expect(assignSplits(names, 7, 0.2, 0.2)).toEqual(a)
    const count = (s: string) => [...a.values()].filter((v) => v === s).length
    expect([count('train'), count('val'), count('test')]).toEqual([60, 20, 20])
  })

  it('draws uniform numbers in range from its seeded generator', () => {
    const rng = createRng(1)
    let sum = 0
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next()
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
      sum += x
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1)
  })
})
