import { describe, expect, it } from 'vitest'
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('jsonDepth', () => {
  it('counts nesting of arrays and objects, not brackets in strings', () => {
    expect(jsonDepth(bytes('1'))).toBe(0)
    expect(jsonDepth(bytes('{"a":[1,{"b":[]}]}'))).toBe(4)
    expect(jsonDepth(bytes('{"a":"[[[[{{{{","b":"\\"[[["}'))).toBe(1)
    expect(jsonDepth(bytes('["é[", ["ü"]]'))).toBe(2)
  })

  it('stops counting past the limit, in linear time', () => {
    const deep = bytes(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`)
    const started = performance.now()
    expect(jsonDepth(deep)).toBe(MAX_JSON_DEPTH + 1)
    expect(performance.now() - started).toBeLessThan(100)
  })
})
