import { describe, expect, it } from 'vitest'
import { compilePolicies, lbBuckets } from './compile'
import { encodeNameKey } from './layout'

const act = { preference: 'lowest-latency' as const }

describe('compilePolicies', () => {
  it('numbers policies by priority and closes prefixes over their containers', () => {
    const t = compilePolicies({
      policies: [
        { id: 'b', priority: 20, match: { destinationPrefixes: ['10.0.0.0/8'] }, action: act },
        { id: 'a', priority: 10, match: { destinationPrefixes: ['10.1.0.0/16'] }, action: act },
        { id: 'c', priority: 30, match: { ports: [443, '8000-8100'] }, action: act },
      ],
    })
    expect(t.policyClass.slice(0, 3)).toEqual([0, 1, 2])
    const p16 = t.prefixes.find((p) => p.bits === 16)
    const p8 = t.prefixes.find((p) => p.bits === 8)
    // /16 admits a (bit 0), b through its /8 (bit 1), c (no prefixes: bit 2).
    expect(p16?.mask).toBe(0b111n)
    expect(p8?.mask).toBe(0b110n)
    expect(t.ports).toEqual([
      { lo: 443, hi: 443, mask: 0b100n },
      { lo: 8000, hi: 8100, mask: 0b100n },
    ])
    expect(t.portWild).toBe(0b011n)
  })

  it('resolves aliases and custom names, and warns on unknown applications', () => {
    const t = compilePolicies({
      policies: [
        { id: 'v', priority: 1, match: { applications: ['voip'] }, action: act },
        { id: 'x', priority: 2, match: { applications: ['nosuchapp'] }, action: act },
      ],
      applications: { backup: { names: ['Backup.Example'] } },
    })
    expect(t.apps[5]).toBe(0b1n) // sip
    expect(t.apps[6]).toBe(0b1n) // rtp
    expect(t.names).toContainEqual({ suffix: 'backup.example', app: expect.any(Number) })
    expect(t.warnings).toEqual(['policy x: unknown application nosuchapp'])
  })
})

describe('lbBuckets', () => {
  it('splits buckets by weight, interleaved', () => {
    const b = lbBuckets([
      { mark: 1, weight: 3 },
      { mark: 2, weight: 1 },
    ])
    expect(b.filter((m) => m === 1)).toHaveLength(48)
    expect(b.slice(0, 4).sort()).toEqual([1, 1, 1, 2])
    expect(lbBuckets([{ mark: 1, weight: 0 }]).every((m) => m === 0)).toBe(true)
  })
})

describe('encodeNameKey', () => {
  it('stores a label-aligned reversed suffix', () => {
    const k = encodeNameKey('backup.example')
    expect(k.readUInt32LE(0)).toBe(15 * 8)
    expect(k.subarray(4, 19).toString('ascii')).toBe('elpmaxe.pukcab.')
  })
})
