import { describe, expect, it } from 'vitest'
import { compiledSelector, matchesSelector, parseSelector, siteFilterMatches } from './selector'

const terms = (text: string) => {
  const parsed = parseSelector(text)
  if (typeof parsed === 'string') throw new Error(parsed)
  return parsed
}

describe('selector regexes (RE2)', () => {
  it('matches the catastrophic pattern in linear time', () => {
    const evil = terms('k=~(a+)+b')
    for (const length of [30, 128]) {
      const started = performance.now()
      expect(matchesSelector(evil, { k: 'a'.repeat(length) })).toBe(false)
      // RegExp took 3.6 s at 30 characters and 4x more per 2 more.
      expect(performance.now() - started).toBeLessThan(50)
    }
    expect(matchesSelector(evil, { k: `${'a'.repeat(128)}b` })).toBe(true)
  })

  it('matches whole values, as before', () => {
    const t = terms('tier=~gold|silver, region!~us-.*')
    expect(matchesSelector(t, { tier: 'gold', region: 'eu-1' })).toBe(true)
    expect(matchesSelector(t, { tier: 'golden', region: 'eu-1' })).toBe(false)
    expect(matchesSelector(t, { tier: 'silver', region: 'us-east' })).toBe(false)
    expect(matchesSelector(t, { tier: 'xsilver' })).toBe(false)
  })

  it('refuses syntax RE2 lacks with a clear message', () => {
    for (const bad of ['k=~(?=a)', 'k=~(a)\\1', 'k=~(?<=a)b', 'k=~a{1001}']) {
      expect(parseSelector(bad), bad).toMatch(/invalid or unsupported regex for "k" \(RE2 syntax\)/)
    }
  })

  it('compiles each selector text once', () => {
    const first = compiledSelector('zone=~a.*')
    expect(compiledSelector('zone=~a.*')).toBe(first)
    expect(compiledSelector('zone=~(')).toBeTypeOf('string')
  })

  it('filters sites by ids and selector; a stored selector that no longer parses matches nothing', () => {
    const filter = { siteIds: null, siteSelector: 'k=~a+' }
    expect(siteFilterMatches(filter, 's1', { k: 'aaa' })).toBe(true)
    expect(siteFilterMatches(filter, null, null)).toBe(false)
    expect(siteFilterMatches({ siteIds: null, siteSelector: 'k=~(?=a)' }, 's1', { k: 'a' })).toBe(
      false,
    )
    expect(siteFilterMatches({ siteIds: null, siteSelector: null }, null, null)).toBe(true)
  })
})
