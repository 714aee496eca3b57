import { describe, expect, it } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { desiredState, peer } from '../testing/fixtures'
import { inRange, MARKS, type NumberRange, PRIORITIES, TABLES } from './numbers'
import { planNumbers, planSite } from './site-plan'

const overlaps = (a: NumberRange, b: NumberRange) =>
  a.base < b.base + b.count && b.base < a.base + a.count

function pairsOverlapping(ranges: Record<string, NumberRange>): string[] {
  const entries = Object.entries(ranges)
  const out: string[] = []
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [na, a] = entries[i] as [string, NumberRange]
      const [nb, b] = entries[j] as [string, NumberRange]
      if (overlaps(a, b)) out.push(`${na}/${nb}`)
    }
  }
  return out
}

const uplink = (slot: number, bandwidthMbps: number | null = 100) => ({
  id: `upl_${slot}`,
  name: `wan${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: `192.0.2.${slot + 1}`,
  basePort: 51820,
  bandwidthMbps,
  costPerGb: null,
  priority: 0,
})

/** A site using every part of the plan: 3 uplinks, 2 peers, 16+ policies of every kind. */
function busySite(): DesiredState {
  const policies = Array.from({ length: 18 }, (_, k) => ({
    id: `pol_${k}`,
    name: `p${k}`,
    priority: k,
    match: k % 3 === 0 ? { applications: ['zoom'] } : { protocols: ['udp'], ports: [5000 + k] },
    action: {
      preference: k % 4 === 0 ? 'load-balance' : 'lowest-latency',
      ...(k % 2 === 0 ? { fec: true } : {}),
      ...(k % 5 === 0 ? { compression: true } : {}),
      ...(k % 3 === 1 ? { qos: { rateMbps: 5 } } : {}),
    },
  }))
  return desiredState(1, {
    uplinks: [uplink(0), uplink(1), uplink(2, null)],
    peers: [
      peer('site_b', { uplinks: [uplink(0), uplink(1)], prefixes: ['10.2.0.0/16'] }),
      peer('site_c', {
        overlayAddress: '100.64.0.3',
        uplinks: [uplink(3)],
        prefixes: ['10.3.0.0/16'],
      }),
    ],
    policies: policies as DesiredState['policies'],
  })
}

describe('the number registry', () => {
  it('no two table, mark or priority ranges overlap', () => {
    expect(pairsOverlapping(TABLES)).toEqual([])
    expect(pairsOverlapping(MARKS)).toEqual([])
    expect(pairsOverlapping(PRIORITIES)).toEqual([])
  })

  it('everything runs before the main table (32766) and stays clear of the kernel tables', () => {
    for (const r of Object.values(PRIORITIES)) expect(r.base + r.count).toBeLessThan(32766)
    for (const r of Object.values(TABLES)) expect(r.base).toBeGreaterThan(255)
  })
})

describe('planSite: no two parts of a plan collide', () => {
  const plan = planSite(busySite(), { interfacePrefix: 'pw', mode: 'lab' })
  const parts = planNumbers(plan)

  it('the busy site uses every part', () => {
    expect(plan.mesh.interfaces.length).toBe(3 * 3)
    expect(plan.classes).toHaveLength(16)
    expect(plan.optimizer.classes.length).toBeGreaterThan(0)
    expect(plan.shaping.uplinks.length).toBe(2)
    expect(plan.warnings).toContain('policy p16: more than 16 classes; not steered')
  })

  it('tables and marks belong to one part each', () => {
    const owner = new Map<string, string>()
    const clashes: string[] = []
    for (const part of parts) {
      for (const [kind, list] of [
        ['table', part.tables],
        ['mark', part.marks],
      ] as const) {
        for (const n of list) {
          const key = `${kind} ${n}`
          const was = owner.get(key)
          if (was && was !== part.part) clashes.push(`${key}: ${was} and ${part.part}`)
          owner.set(key, part.part)
        }
      }
    }
    expect(clashes).toEqual([])
  })

  it('rule priorities belong to one part each, and every rule targets its own part', () => {
    const owner = new Map<number, string>()
    const clashes: string[] = []
    for (const part of parts) {
      for (const rule of part.rules) {
        const was = owner.get(rule.priority)
        if (was && was !== part.part)
          clashes.push(`priority ${rule.priority}: ${was}, ${part.part}`)
        owner.set(rule.priority, part.part)
        if (!part.tables.includes(rule.table))
          clashes.push(`${part.part} rule ${rule.priority} -> foreign table ${rule.table}`)
      }
    }
    expect(clashes).toEqual([])
  })

  it('every number is inside the registry', () => {
    const tableRanges = Object.values(TABLES)
    const markRanges = Object.values(MARKS)
    const priorityRanges = Object.values(PRIORITIES)
    for (const part of parts) {
      for (const t of part.tables) expect(tableRanges.some((r) => inRange(r, t))).toBe(true)
      for (const m of part.marks) expect(markRanges.some((r) => inRange(r, m))).toBe(true)
      for (const r of part.rules) {
        expect(priorityRanges.some((range) => inRange(range, r.priority))).toBe(true)
        if (r.fwmark !== undefined)
          expect(markRanges.some((range) => inRange(range, r.fwmark as number))).toBe(true)
      }
    }
  })
})

describe('no table or mark literal outside the registry', () => {
  it('agent sources spell tables (7100-7715) and marks (0x7100-0x74ff) only through numbers.ts', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const root = join(import.meta.dirname, '..')
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
          if (path.endsWith(join('plan', 'numbers.ts'))) continue
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, k) => {
              // Comments may explain the numbers; code may not spell them.
              const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '')
              if (/\b(7[1-6]\d\d|77(0\d|1[0-5]))\b|\b0x7[1-4][0-9a-f]{2}\b/i.test(code))
                offenders.push(`${path.slice(root.length + 1)}:${k + 1}: ${line.trim()}`)
            })
        }
      }
    }
    walk(root)
    expect(offenders).toEqual([])
  })
})
