import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  listTraces,
  parseBfd,
  parseEvents,
  parseProbes,
  readTrace,
  type Trace,
  TraceFormatError,
  writeTrace,
} from './format'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'pt-trace-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('trace format', () => {
  it('reads back what it writes', () => {
    const dir = tempDir()
    const trace: Trace = {
      name: 'site-a_0-1',
      probes: [
        { tMs: 0, seq: 1, rttMs: 12.5 },
        { tMs: 50, seq: 2, rttMs: null },
        { tMs: 100, seq: 3, rttMs: 13 },
      ],
      events: [{ startMs: 50, endMs: 1050.5, kind: 'failure', cause: 'abrupt' }],
      bfd: [
        { tMs: 0, up: true },
        { tMs: 200, up: false },
      ],
    }
    writeTrace(dir, trace)
    expect(listTraces(dir)).toEqual(['site-a_0-1'])
    expect(readTrace(dir, 'site-a_0-1')).toEqual({ ...trace, hasEvents: true })
  })

  it('treats the events and BFD files as optional', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'p.csv'), 't_ms,seq,rtt_ms\n0,1,5\n')
    expect(readTrace(dir, 'p')).toMatchObject({ events: [], bfd: null, hasEvents: false })
  })

  it.each([
    ['a wrong header', 'time,seq,rtt\n0,1,5\n', /expected header "t_ms,seq,rtt_ms"/],
    ['a missing field', 't_ms,seq,rtt_ms\n0,1\n', /p\.csv:2: expected 3 fields, got 2/],
    ['a non-number', 't_ms,seq,rtt_ms\n0,1,5\nabc,2,5\n', /p\.csv:3: t_ms is not a number: "abc"/],
    ['a padded number', 't_ms,seq,rtt_ms\n0, 1,5\n', /seq is not a number/],
    ['a negative RTT', 't_ms,seq,rtt_ms\n0,1,-3\n', /rtt_ms is negative/],
    ['time going backwards', 't_ms,seq,rtt_ms\n10,1,5\n5,2,5\n', /p\.csv:3: t_ms goes backwards/],
    ['a fractional seq', 't_ms,seq,rtt_ms\n0,1.5,5\n', /seq must be a non-negative integer/],
  ])('rejects probes with %s, naming file and line', (_, text, message) => {
    expect(() => parseProbes('p.csv', text)).toThrow(TraceFormatError)
    expect(() => parseProbes('p.csv', text)).toThrow(message)
  })

  it.each([
    [
      'an unknown kind',
      'start_ms,end_ms,kind,cause\n0,10,outage,abrupt\n',
      /unknown kind "outage"/,
    ],
    ['an unknown cause', 'start_ms,end_ms,kind,cause\n0,10,sla,maybe\n', /unknown cause "maybe"/],
    ['an empty interval', 'start_ms,end_ms,kind,cause\n10,10,sla,abrupt\n', /end_ms must be after/],
  ])('rejects events with %s', (_, text, message) => {
    expect(() => parseEvents('p.events.csv', text)).toThrow(message)
  })

  it('rejects a BFD state other than up or down', () => {
    expect(() => parseBfd('p.bfd.csv', 't_ms,state\n0,UP\n')).toThrow(/state must be up or down/)
  })

  it('never fails on arbitrary input with anything but a TraceFormatError', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .tuple(fc.integer(), fc.integer(), fc.option(fc.double()))
        .map(([a, b, c]) => `${a},${b},${c ?? ''}`),
    )
    fc.assert(
      fc.property(fc.boolean(), fc.array(line, { maxLength: 20 }), (header, lines) => {
        const text = `${header ? 't_ms,seq,rtt_ms\n' : ''}${lines.join('\n')}`
        for (const parse of [parseProbes, parseEvents, parseBfd]) {
          try {
            parse('f.csv', text)
          } catch (error) {
            expect(error).toBeInstanceOf(TraceFormatError)
          }
        }
      }),
      { numRuns: 300, seed: 9 },
    )
  })
})
