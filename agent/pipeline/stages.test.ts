import { describe, expect, it } from 'vitest'
import { memoryRouting } from '../routing/memory'
import { desiredState } from '../testing/fixtures'
import { memoryWireGuard } from '../tunnels/memory'
import { siteStages } from './site-stages'
import type { Stage } from './stage'
import { createStagedPipeline, PipelineError } from './stages'

const PLAN = { interfacePrefix: 'pt', mode: 'lab' as const }

/** A stage that owns one rule per stage name in a MemoryRouting, so leftovers are visible. */
function ruleStage(
  name: string,
  priority: number,
  routing: ReturnType<typeof memoryRouting>,
  log: string[],
  fail: { start?: boolean; apply?: number; close?: boolean } = {},
): Stage {
  let applies = 0
  const rule = { priority, table: 7200 }
  const stage: Stage = {
    name,
    async apply(_plan, previous) {
      applies++
      log.push(`${name}.apply${previous ? ' (again)' : ''}`)
      // Leave something half-built before failing, as a real stage would.
      await routing.ensureRule(rule)
      if (fail.start && applies === 1) throw new Error(`${name} cannot start`)
      if (fail.apply === applies) throw new Error(`${name} failed apply ${applies}`)
    },
    async close() {
      log.push(`${name}.close`)
      await routing.deleteRule(rule)
      if (fail.close) throw new Error(`${name} cannot close`)
    },
  }
  return {
    ...stage,
    async undo() {
      log.push(`${name}.undo`)
      await routing.deleteRule(rule)
    },
  }
}

describe('the staged pipeline', () => {
  it('applies in order with the previous plan, closes in reverse', async () => {
    const routing = memoryRouting()
    const log: string[] = []
    const pipeline = createStagedPipeline({
      stages: ['a', 'b', 'c'].map((n, k) => ruleStage(n, 1100 + k, routing, log)),
      plan: PLAN,
    })
    await pipeline.reconfig(desiredState(1))
    await pipeline.reconfig(desiredState(2))
    expect(pipeline.plan?.desired.revision).toBe(2)
    await pipeline.close()
    expect(log).toEqual([
      'a.apply',
      'b.apply',
      'c.apply',
      'a.apply (again)',
      'b.apply (again)',
      'c.apply (again)',
      'c.close',
      'b.close',
      'a.close',
    ])
    expect(routing.dump()).toBe('')
    await expect(pipeline.reconfig(desiredState(3))).rejects.toThrow('after close')
  })

  it('a stage that throws on start is undone at once; one that throws on close does not stop the others; nothing is left behind', async () => {
    const routing = memoryRouting()
    const log: string[] = []
    const pipeline = createStagedPipeline({
      stages: [
        ruleStage('tunnels', 1100, routing, log, { close: true }),
        ruleStage('monitor', 1101, routing, log, { start: true }),
        ruleStage('optimizer', 1102, routing, log),
      ],
      plan: PLAN,
    })
    const error = await pipeline.reconfig(desiredState(1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PipelineError)
    expect((error as Error).message).toBe('monitor: monitor cannot start')
    // The failed start was undone; the stage after it never ran.
    expect(log).toEqual(['tunnels.apply', 'monitor.apply', 'monitor.undo'])
    expect(routing.dump()).toBe('rule 1100: lookup 7200')
    expect(pipeline.plan).toBeUndefined()

    // The daemon retries: now everything starts.
    await pipeline.reconfig(desiredState(1))
    expect(routing.dump().split('\n')).toHaveLength(3)

    const closing = await pipeline.close().catch((e: unknown) => e)
    expect(closing).toBeInstanceOf(PipelineError)
    expect((closing as PipelineError).failures.map((f) => f.stage)).toEqual(['tunnels'])
    expect(log.slice(-3)).toEqual(['optimizer.close', 'monitor.close', 'tunnels.close'])
    expect(routing.dump()).toBe('')
  })

  it('a stage failing a later apply keeps what it has and stops the stages after it', async () => {
    const routing = memoryRouting()
    const log: string[] = []
    const pipeline = createStagedPipeline({
      stages: [
        ruleStage('a', 1100, routing, log, { apply: 2 }),
        ruleStage('b', 1101, routing, log),
      ],
      plan: PLAN,
    })
    await pipeline.reconfig(desiredState(1))
    await expect(pipeline.reconfig(desiredState(2))).rejects.toThrow('a: a failed apply 2')
    expect(log).toEqual(['a.apply', 'b.apply', 'a.apply (again)'])
    expect(routing.dump().split('\n')).toHaveLength(2)
    expect(pipeline.plan?.desired.revision).toBe(1)
    await pipeline.close()
    expect(routing.dump()).toBe('')
  })

  it('serialises calls: a close waits for the reconfig in flight', async () => {
    const log: string[] = []
    let release: () => void = () => {}
    const slow: Stage = {
      name: 'slow',
      apply: () =>
        new Promise<void>((resolve) => {
          log.push('apply started')
          release = () => {
            log.push('apply done')
            resolve()
          }
        }),
      close: async () => {
        log.push('close')
      },
    }
    const pipeline = createStagedPipeline({ stages: [slow], plan: PLAN })
    const reconfig = pipeline.reconfig(desiredState(1))
    const close = pipeline.close()
    await new Promise((r) => setImmediate(r))
    expect(log).toEqual(['apply started'])
    release()
    await reconfig
    await close
    expect(log).toEqual(['apply started', 'apply done', 'close'])
  })

  it('logs a plan warning when it appears, not on every reconfig', async () => {
    const logged: string[] = []
    const pipeline = createStagedPipeline({ stages: [], plan: PLAN, log: (m) => logged.push(m) })
    const many = desiredState(1, {
      policies: Array.from({ length: 17 }, (_, k) => ({
        id: `pol_${k}`,
        name: `p${k}`,
        priority: k,
        match: { ports: [1000 + k] },
        action: { preference: 'lowest-latency' },
      })) as never,
    })
    await pipeline.reconfig(many)
    await pipeline.reconfig({ ...many, revision: 2 })
    expect(logged).toEqual(['plan: policy p16: more than 16 classes; not steered'])
    await pipeline.reconfig(desiredState(3))
    await pipeline.reconfig({ ...many, revision: 4 })
    expect(logged).toHaveLength(2)
  })

  it('refuses two stages with one name', () => {
    const routing = memoryRouting()
    expect(() =>
      createStagedPipeline({
        stages: [ruleStage('a', 1100, routing, []), ruleStage('a', 1101, routing, [])],
        plan: PLAN,
      }),
    ).toThrow('two stages named a')
  })
})

describe('siteStages: the one order of the running agent', () => {
  it('puts every part where it belongs, mesh first and the optimizer last', () => {
    const stub = (name: string): Stage => ({ name, apply: async () => {}, close: async () => {} })
    const routing = memoryRouting()
    const names = siteStages({
      mesh: {
        backend: memoryWireGuard(routing),
        routing,
        privateKey: Buffer.alloc(32).toString('base64'),
        interfacePrefix: 'pt',
      },
      optimizer: stub('optimizer'),
      dataplane: stub('dataplane'),
      classifier: stub('classifier'),
      prediction: stub('prediction'),
      monitor: stub('monitor'),
      scorers: stub('scorers'),
    }).map((s) => s.name)
    expect(names).toEqual([
      'routing',
      'tunnels',
      'overlay',
      'scorers',
      'monitor',
      'prediction',
      'classifier',
      'dataplane',
      'optimizer',
    ])
  })
})
