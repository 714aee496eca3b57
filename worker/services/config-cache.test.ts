import { describe, expect, it } from 'vitest'
import { DesiredStateCache } from './config-cache'

describe('DesiredStateCache', () => {
  it('serves a document only for the revision it was built at', () => {
    const cache = new DesiredStateCache(1000)
    cache.set('agt_a', 3, '{"revision":3}')
    expect(cache.get('agt_a', 3)).toBe('{"revision":3}')
    expect(cache.get('agt_a', 4)).toBeUndefined()
    expect(cache.get('agt_b', 3)).toBeUndefined()
    cache.set('agt_a', 4, '{"revision":4}')
    expect(cache.get('agt_a', 3)).toBeUndefined()
    expect(cache.size).toBe(1)
  })

  it('stays within its byte budget, evicting the least recently used', () => {
    const cache = new DesiredStateCache(25)
    cache.set('a', 1, 'x'.repeat(10))
    cache.set('b', 1, 'y'.repeat(10))
    expect(cache.get('a', 1)).toBeDefined() // a is now the most recently used
    cache.set('c', 1, 'z'.repeat(10))
    expect(cache.get('b', 1)).toBeUndefined()
    expect(cache.get('a', 1)).toBeDefined()
    expect(cache.get('c', 1)).toBeDefined()
    cache.set('huge', 1, 'h'.repeat(100))
    expect(cache.get('huge', 1)).toBeUndefined()
    expect(cache.size).toBe(2)
  })
})
