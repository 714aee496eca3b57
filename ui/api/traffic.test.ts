import { describe, expect, it } from 'vitest'
import { applicationRows, classRates, classRows, formatBytes, formatCount } from './traffic'
import type { SiteTraffic } from './types'

const traffic: SiteTraffic = {
  siteId: 's',
  from: '2026-01-01T00:00:00.000Z',
  to: '2026-01-01T00:03:00.000Z',
  stepSeconds: 60,
  classes: [
    {
      class: 'p1',
      className: 'voice',
      packets: 10,
      bytes: 750_000,
      points: [{ t: '2026-01-01T00:01:00.000Z', packets: 10, bytes: 750_000 }],
    },
    { class: 'p2', className: null, packets: 1, bytes: 250_000, points: [] },
  ],
  applications: [
    { application: 'dns', packets: 3, bytes: 0, points: [] },
    { application: 'tls', packets: 3, bytes: 0, points: [] },
  ],
}

describe('traffic display', () => {
  it('orders rows by bytes with their share, naming deleted policies', () => {
    expect(classRows(traffic)).toEqual([
      { key: 'p1', name: 'voice', packets: 10, bytes: 750_000, sharePct: 75 },
      { key: 'p2', name: 'p2 (deleted policy)', packets: 1, bytes: 250_000, sharePct: 25 },
    ])
    // No bytes at all: shares are 0, ties by name.
    expect(applicationRows(traffic).map((r) => [r.name, r.sharePct])).toEqual([
      ['dns', 0],
      ['tls', 0],
    ])
  })

  it('gives a rate per step over the whole range, 0 where nothing was counted', () => {
    const { times, series } = classRates(traffic)
    expect(times).toEqual([0, 60, 120].map((s) => Date.parse(traffic.from) / 1000 + s))
    expect(series[0]).toEqual({ label: 'voice', values: [0, 0.1, 0] }) // 750 kB in 60 s
    expect(series[1]).toEqual({ label: 'p2', values: [0, 0, 0] })
  })

  it('formats bytes in decimal units and counts with separators', () => {
    expect([0, 999, 1000, 24_000, 288_000, 11_880_000, 3e12].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.00 kB',
      '24.0 kB',
      '288 kB',
      '11.9 MB',
      '3.00 TB',
    ])
    expect(formatCount(1234567)).toBe('1,234,567')
  })
})
