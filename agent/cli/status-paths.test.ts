import { describe, expect, it } from 'vitest'
import type { DesiredUplink } from '../../protocol/agent'
import type { TelemetryBatch } from '../../protocol/telemetry'
import { pathsStatusOf } from '../service/paths-status'
import { desiredState, peer } from '../testing/fixtures'
import { describePaths, pathLines, STALE_AFTER_MS } from './status-paths'

const uplink = (id: string, name: string, slot: number): DesiredUplink => ({
  id,
  name,
  slot,
  interface: `eth${slot}`,
  endpointHost: null,
  basePort: 51820,
  bandwidthMbps: null,
  costPerGb: null,
  priority: 0,
})

const desired = desiredState(7, {
  uplinks: [uplink('u0', 'fiber', 0), uplink('u1', 'lte', 1)],
  peers: [peer('site_b', { siteName: 'branch-b', uplinks: [uplink('b0', 'dsl', 0)] })],
  policies: [
    {
      id: 'pol_voice',
      name: 'voice',
      priority: 10,
      match: { destinationPrefixes: ['10.9.1.0/24'] },
      action: { preference: 'lowest-latency' },
    },
  ],
})

const at = Date.UTC(2026, 5, 1, 12, 0, 0)
const path = (localSlot: number) => ({ peerSiteId: 'site_b', localSlot, remoteSlot: 0 })

/** The monitor's telemetry: fiber up and carrying both classes, lte down and unmeasured. */
const batch: TelemetryBatch = {
  samples: [
    { at, path: path(0), state: 'up', rttMs: 12.34, jitterMs: 1, lossPct: 0, mos: 4.3 },
    { at, path: path(1), state: 'down', rttMs: null, jitterMs: null, lossPct: 100, mos: null },
  ],
  activePaths: [
    { class: 'pol_voice', path: path(0), reason: 'lowest latency', since: at },
    { class: 'default', path: path(0), reason: 'best', since: at },
  ],
}

describe('status: paths', () => {
  const status = pathsStatusOf(batch, at, 'running')

  it('names each path from the desired state and lists the classes it carries', () => {
    expect(pathLines(status, desired)).toEqual([
      {
        peer: 'branch-b',
        local: 'fiber',
        remote: 'dsl',
        state: 'up',
        rttMs: 12.34,
        lossPct: 0,
        classes: ['voice', 'default'],
      },
      {
        peer: 'branch-b',
        local: 'lte',
        remote: 'dsl',
        state: 'down',
        rttMs: null,
        lossPct: 100,
        classes: [],
      },
    ])
  })

  it('prints one aligned row per path: state, RTT, loss, classes', () => {
    expect(describePaths({ status, desired, maintenance: undefined, now: at + 3_000 })).toBe(
      [
        'paths     2 as of 2026-06-01T12:00:00.000Z (3 s ago)',
        '  PATH                 STATE  RTT      LOSS    CLASSES',
        '  branch-b fiber->dsl  up     12.3 ms  0.0%    voice, default',
        '  branch-b lte->dsl    down   -        100.0%  -',
        '',
      ].join('\n'),
    )
  })

  it('falls back to ids and slots without a cached desired state', () => {
    expect(pathLines(status, undefined)[0]).toMatchObject({
      peer: 'site_b',
      local: 'slot 0',
      remote: 'slot 0',
      classes: ['pol_voice', 'default'],
    })
  })

  it('says when the report is stale, missing, or the agent is in maintenance', () => {
    const old = describePaths({
      status,
      desired,
      maintenance: undefined,
      now: at + STALE_AFTER_MS + 1000,
    })
    expect(old.split('\n')[0]).toMatch(/\(16 s ago; stale: is the agent running\?\)$/)
    expect(describePaths({ status: undefined, desired, maintenance: undefined, now: at })).toMatch(
      /^paths {5}\(no report/,
    )
    const down = describePaths({
      status: pathsStatusOf(undefined, at, 'maintenance'),
      desired,
      maintenance: { since: '2026-06-01T11:59:00.000Z' },
      now: at + 1000,
    })
    expect(down).toBe(
      [
        'mode      maintenance since 2026-06-01T11:59:00.000Z; `up` resumes',
        'paths     none: pipeline closed for maintenance (1 s ago)',
        '',
      ].join('\n'),
    )
  })
})
