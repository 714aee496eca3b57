import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cidrsOverlap,
  formatIp,
  normaliseCidr,
  parseCidr,
  parseIp,
  parseIpv4,
  parseIpv6,
  toSortableHex,
} from './net'

describe('IP parsing', () => {
  it('parses IPv4 and rejects bad quads', () => {
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203n)
    for (const bad of ['10.1.2', '10.1.2.256', '10.01.2.3', '1.2.3.4.5', 'a.b.c.d', '']) {
      expect(parseIpv4(bad), bad).toBeUndefined()
    }
  })

  it('parses IPv6 forms and formats them per RFC 5952', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ]
    for (const [input, canonical] of cases) {
      const parsed = parseIpv6(input)
      expect(parsed, input).toBeDefined()
      expect(formatIp(6, parsed!)).toBe(canonical)
    }
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':1', '1:2:3:4:5:6:7']) {
      expect(parseIpv6(bad), bad).toBeUndefined()
    }
  })

  it('round-trips any IPv6 address through format and parse', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        expect(parseIp(formatIp(6, value))).toEqual({ family: 6, value })
      }),
    )
  })
})

describe('CIDR', () => {
  it('normalises host bits and text', () => {
    expect(normaliseCidr('10.1.2.3/24')).toBe('10.1.2.0/24')
    expect(normaliseCidr('2001:DB8::1/48')).toBe('2001:db8::/48')
    expect(normaliseCidr('0.0.0.0/0')).toBe('0.0.0.0/0')
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '::/129', '10.0.0.0/024', 'x/8']) {
      expect(normaliseCidr(bad), bad).toBeUndefined()
    }
  })

  it('detects overlap within a family only', () => {
    const a = parseCidr('10.0.0.0/16')!
    expect(cidrsOverlap(a, parseCidr('10.0.5.0/24')!)).toBe(true)
    expect(cidrsOverlap(a, parseCidr('10.1.0.0/16')!)).toBe(false)
    expect(cidrsOverlap(parseCidr('::/0')!, a)).toBe(false)
  })

  it('sortable hex keeps numeric order', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (x, y) => {
        const [a, b] = [BigInt(x), BigInt(y)]
        expect(toSortableHex(4, a) < toSortableHex(4, b)).toBe(a < b)
      }),
    )
  })
})
