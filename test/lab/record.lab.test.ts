/**
 * The model recorder (models/record/session.ts) in the lab: the agent's own prober, responder
 * and BFD between two sites, one short scripted cut, turned into a trace in the documented
 * format that reads back, with the outage visible where the script put it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Scenario } from '../../models/record/scenarios'
import { recordScenarios } from '../../models/record/session'
import { readTrace, type Trace, writeTrace } from '../../models/trace/format'
import { cleanupStale, Lab, labLeftovers } from './harness'

const CUT: Scenario = {
  name: 'lab-test-cut',
  durationMs: 14_000,
  steps: [
    { atMs: 8_000, impair: { blackhole: true } },
    { atMs: 11_000, impair: {} },
  ],
  failure: { startMs: 8_000, endMs: 11_000, cause: 'abrupt' },
  slaCause: 'abrupt',
}

let lab: Lab
let trace: Trace
const dir = mkdtempSync(join(tmpdir(), 'pt-record-'))

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 2, uplinks: 1 })
  const traces = await recordScenarios(lab, [CUT], { warmupMs: 2_000, gapMs: 1_500 })
  trace = traces[0]!
}, 90_000)

afterAll(async () => {
  const runId = lab?.runId
  await lab?.destroy()
  rmSync(dir, { recursive: true, force: true })
  expect(await labLeftovers(runId)).toEqual({
    namespaces: [],
    sockets: [],
    processes: [],
    nftTables: [],
  })
}, 60_000)

describe('models:record in the lab', () => {
  test('records the probes of the scenario, answered before the cut and lost during it', () => {
    // 20 probes/s for 14 s; a loaded 2-core machine delays some ticks.
    expect(trace.probes.length).toBeGreaterThan(150)
    expect(trace.probes.length).toBeLessThanOrEqual(290)
    const before = trace.probes.filter((p) => p.tMs >= 1_000 && p.tMs < 7_500)
    const answered = before.filter((p) => p.rttMs !== null)
    expect(answered.length / before.length).toBeGreaterThan(0.9)
    for (const p of answered) expect(p.rttMs!).toBeLessThan(100)
    // Well inside the blackhole nothing comes back.
    const during = trace.probes.filter((p) => p.tMs >= 8_300 && p.tMs < 10_700)
    expect(during.length).toBeGreaterThan(20)
    expect(during.every((p) => p.rttMs === null)).toBe(true)
  })

  test('has BFD going down with the cut and the scripted failure as its label', () => {
    expect(trace.bfd?.[0]).toEqual({ tMs: 0, up: true })
    const down = trace.bfd?.find((b) => !b.up && b.tMs >= 8_000)
    expect(down).toBeDefined()
    expect(down!.tMs).toBeLessThan(9_500)
    expect(trace.events).toEqual([
      { startMs: 8_000, endMs: 11_000, kind: 'failure', cause: 'abrupt' },
    ])
  })

  test('writes the documented trace format, which reads back the same', () => {
    writeTrace(dir, trace)
    const read = readTrace(dir, trace.name)
    expect(read.probes).toEqual(trace.probes)
    expect(read.events).toEqual(trace.events)
    expect(read.bfd).toEqual(trace.bfd)
  })
})
