import { describe, expect, it } from 'vitest'
import { DEFAULT_APPLICATIONS } from '../../protocol/applications'
import { buildCatalogue, DEFAULT_APPS, FIRST_NAMED_APP } from './apps'

const idsOf = (c: ReturnType<typeof buildCatalogue>) =>
  new Map(c.names.map((n) => [n.name, n.id] as [string, number]))

describe('buildCatalogue', () => {
  it('holds a signature for every default application name protocol/ lists', () => {
    expect(Object.keys(DEFAULT_APPS).sort()).toEqual([...DEFAULT_APPLICATIONS].sort())
  })

  it('keeps the ids of applications across catalogues; a new one takes an id nobody held', () => {
    const first = buildCatalogue({
      backup: { names: ['backup.example'] },
      zeta: { names: ['zeta.example'] },
      gone: { names: ['gone.example'] },
    })
    const before = idsOf(first)
    // Adding "aaa" (first by name) and removing "gone" move nobody else's id.
    const second = buildCatalogue(
      {
        aaa: { names: ['aaa.example'] },
        backup: { names: ['backup.example'] },
        zeta: { names: ['zeta.example'] },
      },
      before,
    )
    const after = idsOf(second)
    for (const name of ['backup', 'zeta', 'zoom', 'github', 'office365'])
      expect(after.get(name), name).toBe(before.get(name))
    expect([...before.values()]).not.toContain(after.get('aaa'))
    expect(after.get('aaa')).toBeGreaterThanOrEqual(FIRST_NAMED_APP)
    expect(second.warnings).toEqual([])
  })

  it('gives a suffix to the first application that claims it, default ones first', () => {
    const c = buildCatalogue({ meetings: { names: ['zoom.us', 'meet.example'] } })
    expect(c.warnings).toEqual(["application meetings: zoom.us is already zoom's; ignored"])
    expect(c.names.find((n) => n.name === 'meetings')?.suffixes).toEqual(['meet.example'])
    expect(c.names.find((n) => n.name === 'zoom')?.suffixes).toContain('zoom.us')
  })
})
