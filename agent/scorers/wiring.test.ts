/**
 * The scorers' wiring: the manager is handed to the monitor, the scorers stage tells the
 * manager what the plan names before the monitor's stage applies it (so the evaluation that
 * ends a reconfig already knows the scorer it falls back for), a plugin becoming usable asks
 * the monitor to re-evaluate, and close stops the monitor before the plugins.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { systemClock } from '../clock'
import type { PathInput } from '../decision'
import { silentLogger } from '../logger'
import type { CustomScores } from '../pathmon/custom-scores'
import type { Stage } from '../pipeline/stage'
import { createStagedPipeline } from '../pipeline/stages'
import { desiredState } from '../testing/fixtures'
import { sha256Hex } from './store'
import { plugin } from './testing'
import { wireScorers } from './wiring'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patronus-scorer-wiring-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('scorer wiring', () => {
  it('reconfig names the scorers first; a loaded plugin triggers an evaluation', async () => {
    const bytes = await plugin('cheapest')
    const id = `scr_${'a'.repeat(28)}`
    const desired: DesiredState = desiredState(2, {
      policies: [
        {
          id: 'pol_1',
          name: 'cheap',
          priority: 1,
          match: { ports: [5060] },
          action: { preference: 'custom', scorer: 'cheap' },
        },
      ],
      scorers: [{ name: 'cheap', id, sha256: sha256Hex(bytes) }],
    })
    const log: string[] = []
    let scores: CustomScores | undefined
    const monitor = {
      useCustomScores(s: CustomScores) {
        scores = s
      },
      async evaluate() {
        log.push('evaluate')
      },
    }
    const monitorStage: Stage = {
      name: 'monitor',
      async apply() {
        // What the monitor's evaluation at the end of a reconfig sees.
        const inputs: PathInput[] = [
          { peerSiteId: 'b', localSlot: 0, remoteSlot: 0, up: true, rttMs: 5 },
        ]
        await scores!.annotate(inputs, Date.now())
        log.push(`reconfig: ${inputs[0]?.customScores ? 'scored' : 'not scored'}`)
      },
      async close() {
        log.push('monitor closed')
      },
    }
    const fetched: string[] = []
    const wiring = wireScorers(
      monitor,
      {
        stateDir: dir,
        serverUrl: 'https://cp.example',
        allowInsecureHttp: false,
        signer: { keyId: 'agt_1', sign: async () => new Uint8Array(64) },
        fetch: async (url) => {
          fetched.push(url)
          return new Response(bytes as Uint8Array<ArrayBuffer>, {
            headers: { 'content-type': 'application/wasm' },
          })
        },
      },
      systemClock,
      silentLogger(),
    )
    const pipeline = createStagedPipeline({
      stages: [wiring.stage, monitorStage],
      plan: { interfacePrefix: 'pt', mode: 'lab' },
    })
    expect(scores).toBeDefined()
    await pipeline.reconfig(desired)
    expect(log).toEqual(['reconfig: not scored'])
    await expect.poll(() => log.includes('evaluate'), { timeout: 15_000 }).toBe(true)
    expect(fetched).toEqual([`https://cp.example/v1/agent/scorers/${id}`])
    await pipeline.reconfig({ ...desired, revision: 3 })
    expect(log.at(-1)).toBe('reconfig: scored')
    await pipeline.close()
    expect(log.at(-1)).toBe('monitor closed')
  })
})
