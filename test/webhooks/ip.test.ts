/**
 * The webhook guard's IPv6 parsing and refused ranges (docs/security.md, finding 11): every range
 * that embeds an IPv4 address or tunnels to one is refused, whatever the spelling.
 */
import { describe, expect, it } from 'vitest'
import { inCidr, parseCidr, parseIPv6 } from '../../worker/services/webhooks/ip'
import { isBlockedAddress, targetProblem } from '../../worker/services/webhooks/target'

describe('IPv6 parsing', () => {
  it('reads every spelling of one address to the same 128-bit value', () => {
    const loopbackMapped = 0xffff7f000001n
    for (const text of [
      '::ffff:7f00:1',
      '::FFFF:7F00:0001',
      '0:0:0:0:0:ffff:7f00:1',
      '0000:0000:0000:0000:0000:FFFF:7F00:0001',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:ffff:127.0.0.1',
      '[::ffff:127.0.0.1]',
      '::ffff:7f00:1%eth0',
    ]) {
      expect(parseIPv6(text), text).toBe(loopbackMapped)
    }
    expect(parseIPv6('::')).toBe(0n)
    expect(parseIPv6('::1.2.3.4')).toBe(0x01020304n)
    expect(parseIPv6('1:2:3:4:5:6:7::')).toBe(0x00010002000300040005000600070000n)
    expect(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe((1n << 128n) - 1n)
  })

  it('refuses what is not an IPv6 address', () => {
    for (const text of [
      '127.0.0.1',
      'example.com',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '::1:2:3:4:5:6:7:8',
      '12345::1',
      '::ffff:127.1',
      '::ffff:256.0.0.1',
      '::1.2.3.4:5',
      'g::1',
    ]) {
      expect(parseIPv6(text), text).toBeUndefined()
    }
  })

  it('checks prefixes on the number, not the text', () => {
    const teredo = parseCidr('2001::/32')
    expect(inCidr(parseIPv6('2001:0:4136:e378:8000:63bf:3fff:fdd2')!, teredo)).toBe(true)
    expect(inCidr(parseIPv6('2001:0000::1')!, teredo)).toBe(true)
    // Same leading text "2001:", other /32s: not Teredo.
    expect(inCidr(parseIPv6('2001:1::1')!, teredo)).toBe(false)
    expect(inCidr(parseIPv6('2001:4860:4860::8888')!, teredo)).toBe(false)
    expect(() => parseCidr('2001::1/32')).toThrow(/host bits/)
  })
})

describe('webhook guard: ranges that carry IPv4 or tunnel to it', () => {
  const refused: Record<string, string[]> = {
    'IPv4-mapped ::ffff:0:0/96': ['::ffff:8.8.8.8', '::FFFF:0808:0808', '0:0:0:0:0:ffff:a00:1'],
    'IPv4-translated ::ffff:0:0:0/96': [
      '::ffff:0:7f00:1',
      '::ffff:0:127.0.0.1',
      '0:0:0:0:ffff:0:7F00:0001',
      '::ffff:0:8.8.8.8',
    ],
    'IPv4-compatible ::/96': ['::127.0.0.1', '::8.8.8.8', '::7f00:1'],
    'NAT64 64:ff9b::/96': ['64:ff9b::7f00:1', '64:FF9B::127.0.0.1', '64:ff9b::8.8.8.8'],
    'NAT64 local-use 64:ff9b:1::/48': [
      '64:ff9b:1::a00:1',
      '64:ff9b:1:ffff::1',
      '64:ff9b:1::8.8.8.8',
    ],
    'Teredo 2001::/32': ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0000:FFFF::'],
    '6to4 2002::/16': ['2002:7f00:1::', '2002:808:808::1', '2002:FFFF:ffff:ffff::1'],
  }
  for (const [range, addresses] of Object.entries(refused)) {
    it(`finding 11: refuses ${range} in every spelling`, () => {
      for (const ip of addresses) {
        expect(isBlockedAddress(ip), ip).toBe(true)
        expect(targetProblem(`http://[${ip}]:8080/hook`, false), ip).toMatch(/private/)
        // The instance switch still allows them (a lab behind NAT64, tests).
        expect(targetProblem(`http://[${ip}]:8080/hook`, true), ip).toBeNull()
      }
    })
  }

  it('finding 11: the neighbours of those ranges stay allowed', () => {
    for (const ip of [
      '::1:0:0:1', // next to ::/96
      '::fffe:7f00:1', // next to ::ffff:0:0/96
      '::1:ffff:0:7f00:1', // not ::ffff:0:0:0/96
      '64:ff9b::1:7f00:1', // outside the /96
      '64:ff9b:2::1', // outside the /48
      '2001:1::1', // 2001:1::/32 is not Teredo
      '2003::1', // past 2002::/16
      '2606:4700:4700::1111',
    ]) {
      expect(isBlockedAddress(ip), ip).toBe(false)
    }
  })
})
