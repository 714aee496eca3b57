import { describe, expect, it } from 'vitest'
import { desiredState } from '../../agent/testing/fixtures'
import { desiredStateSchemaV1 } from '../../protocol/testing/wire-v1'
import { PROTOCOL_VERSION } from '../../protocol/version'
import {
  DESIRED_STATE_DOWNGRADES,
  desiredStateFor,
  SERVED_PROTOCOL_VERSIONS,
} from './protocol-compat'

describe('protocol compatibility', () => {
  it('serves the current version and the one before', () => {
    expect(SERVED_PROTOCOL_VERSIONS).toEqual([PROTOCOL_VERSION, PROTOCOL_VERSION - 1])
  })

  it('knows how to answer every older version it serves', () => {
    for (const version of SERVED_PROTOCOL_VERSIONS.filter((v) => v !== PROTOCOL_VERSION)) {
      expect(DESIRED_STATE_DOWNGRADES[version], `a desired state for v${version}`).toBeTypeOf(
        'function',
      )
    }
  })

  it('cuts a v2 document to what the v1 schema accepts, keeping what v1 knew', () => {
    const state = desiredState(4, {
      model: { id: 'm1', sha256: 'a'.repeat(64) },
      applications: [{ name: 'backup', names: ['backup.example'], ports: [] }],
      scorers: [{ name: 'cheap', id: `scr_${'a'.repeat(28)}`, sha256: 'b'.repeat(64) }],
      policies: [
        {
          id: 'pol_1',
          name: 'voice',
          priority: 1,
          match: { dscp: [46], siteLabels: { tier: 'gold' } },
          action: {
            preference: 'load-balance',
            sla: { maxLossPct: 1 },
            fec: true,
            predictive: false,
            balance: 'per-packet',
            qos: { rateMbps: 2 },
          },
        },
      ],
    })
    expect(desiredStateSchemaV1.safeParse(state).success).toBe(false)
    const v1 = desiredStateFor(state, 1)
    expect(desiredStateSchemaV1.parse(v1)).toEqual(v1)
    expect(v1.policies[0]).toEqual({
      id: 'pol_1',
      name: 'voice',
      priority: 1,
      match: { dscp: [46], siteLabels: { tier: 'gold' } },
      action: { preference: 'load-balance', sla: { maxLossPct: 1 }, fec: true },
    })
    expect(v1).not.toHaveProperty('model')
    expect(v1).not.toHaveProperty('applications')
    expect(v1).not.toHaveProperty('scorers')
    expect(v1.protocolVersion).toBe(1)
    // The current version gets the document as built.
    expect(desiredStateFor(state, PROTOCOL_VERSION)).toBe(state)
  })
})
