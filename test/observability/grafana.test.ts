/**
 * The Grafana dashboards in docs/grafana/ query only metrics the code registers: every
 * PromQL expression (panel targets, annotations, template variables) is reduced to its
 * metric names, which must be in the control plane's registry or the agent's.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerClassifierMetrics } from '../../agent/bpf/metrics'
import { registerPathMetrics } from '../../agent/metrics'
import type { Db } from '../../worker/db/client'
import { CONTROL_PLANE_METRIC_NAMES } from '../../worker/observability/metric-names'
import { createPrometheusMetrics } from '../../worker/observability/metrics'

const DIR = join(import.meta.dirname, '../../docs/grafana')

/** name -> type, from registries built the way the programs build them (no collection). */
function registered(): Map<string, string> {
  const out = new Map<string, string>()
  // Nothing is scraped, so the database is never touched.
  const control = createPrometheusMetrics({} as Db).registry
  const agent = new Registry()
  registerPathMetrics(agent, { snapshot: () => [] })
  registerClassifierMetrics(agent, { counters: async () => undefined })
  for (const registry of [control, agent]) {
    for (const m of registry.getMetricsAsArray()) {
      const { name, type } = m as unknown as { name: string; type: string }
      out.set(name, type)
    }
  }
  return out
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
])

/** Metric names in a PromQL expression (Grafana variables and label matchers removed). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range selectors and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ') // dashboard variables
  const names = new Set<string>()
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const word = m[0]
    if (m[1]) continue // a function
    if (KEYWORDS.has(word.toLowerCase())) continue
    if (/^\d/.test(word)) continue
    names.add(word)
  }
  return [...names]
}

/** Every PromQL string in a dashboard: targets, annotations, query variables. */
function expressions(dashboard: any): string[] {
  const out: string[] = []
  const panels = (list: any[] = []): void => {
    for (const p of list) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr)
      panels(p.panels)
    }
  }
  panels(dashboard.panels)
  for (const a of dashboard.annotations?.list ?? []) if (a.expr) out.push(a.expr)
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query
    const inner = /label_values\(([^,)]+)/.exec(q ?? '')?.[1]
    if (v.type === 'query' && inner) out.push(inner)
  }
  return out
}

function known(name: string, names: Map<string, string>): boolean {
  if (names.has(name)) return true
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return base !== name && names.get(base) === 'histogram'
}

describe('Grafana dashboards', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'))
  const names = registered()

  it('are the three documented ones, with a provisioning example', () => {
    expect(files.sort()).toEqual([
      'control-plane.json',
      'network-overview.json',
      'path-performance.json',
    ])
    expect(readFileSync(join(DIR, 'provisioning.yaml'), 'utf8')).toMatch(/providers:/)
    for (const n of CONTROL_PLANE_METRIC_NAMES) expect(names.has(n), n).toBe(true)
  })

  it('the metric-name extractor reads PromQL', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(patronus_http_request_duration_seconds_bucket{route!="/v1/agent/config",x=~"$x"}[5m]))) / on (job) up',
      ),
    ).toEqual(['patronus_http_request_duration_seconds_bucket', 'up'])
  })

  for (const file of files) {
    it(`${file} queries only registered metrics`, () => {
      const dashboard = JSON.parse(readFileSync(join(DIR, file), 'utf8'))
      expect(typeof dashboard.uid).toBe('string')
      expect(typeof dashboard.title).toBe('string')
      const exprs = expressions(dashboard)
      expect(exprs.length).toBeGreaterThan(3)
      for (const expr of exprs) {
        const used = metricNames(expr)
        expect(used.length, expr).toBeGreaterThan(0)
        for (const name of used) expect(known(name, names), `${name} in ${expr}`).toBe(true)
      }
    })
  }
})
