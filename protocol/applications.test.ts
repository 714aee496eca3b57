import { describe, expect, it } from 'vitest'
import { desiredStateSchema } from './agent'
import {
  applicationPortSchema,
  desiredApplicationSchema,
  hostSuffixSchema,
  isCatalogueApplication,
} from './applications'
import { policyMatchSchema } from './policy'

describe('application signatures', () => {
  it('normalises host name suffixes and refuses what is not a DNS name', () => {
    expect(hostSuffixSchema.parse(' Backup.Example. ')).toBe('backup.example')
    for (const bad of [
      '',
      '-a.example',
      'a-.example',
      'a..example',
      'under_score.example',
      '*.example',
      'a b.example',
      `${'a'.repeat(60)}.com`,
    ]) {
      expect(hostSuffixSchema.safeParse(bad).success, bad).toBe(false)
    }
  })

  it('writes ports as "443" or "8000-8100" and refuses ranges outside 1-65535', () => {
    const parse = (ports: unknown) => applicationPortSchema.safeParse({ protocol: 'tcp', ports })
    expect(parse(443).data?.ports).toBe('443')
    expect(parse('0443').data?.ports).toBe('443')
    expect(parse('8000-8100').data?.ports).toBe('8000-8100')
    expect(parse('9000-9000').data?.ports).toBe('9000')
    for (const bad of [0, 65536, '9000-80', '1-70000', 'http', '80,443', 1.5]) {
      expect(parse(bad).success, String(bad)).toBe(false)
    }
    expect(applicationPortSchema.safeParse({ protocol: 'sctp', ports: '1' }).success).toBe(false)
  })

  it('older desired states without applications still parse (as none)', () => {
    expect(desiredStateSchema.shape.applications.parse(undefined)).toEqual([])
    expect(desiredApplicationSchema.parse({ name: 'backup' })).toEqual({
      name: 'backup',
      ports: [],
      names: [],
    })
  })

  it('knows the builtin and default names, and policies share the name grammar', () => {
    for (const name of ['tls', 'rtp', 'voip', 'office365', 'google-workspace'])
      expect(isCatalogueApplication(name), name).toBe(true)
    expect(isCatalogueApplication('backup')).toBe(false)
    expect(policyMatchSchema.safeParse({ applications: ['Backup'] }).success).toBe(false)
  })
})
