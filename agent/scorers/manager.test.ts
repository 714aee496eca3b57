/**
 * The scorer manager with real sandboxes and a fake control plane: the named version is
 * fetched, verified, cached (and loaded from the cache without the network), hot-swapped when
 * the version changes; a hash mismatch, a version the desired state does not name, a plugin
 * over its budget or one that traps make the class fall back to lowest-latency, reported once
 * per change of reason and counted on /metrics; the path selector then picks what the
 * plugin prefers, or what lowest-latency would.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DesiredState, ScorerRef } from '../../protocol/agent'
import { systemClock } from '../clock'
import { type PathInput, PathSelector } from '../decision'
import { silentLogger } from '../logger'
import { ScorerManager, type ScorerManagerOptions } from './manager'
import { registerScorerMetrics } from './metrics'
import { ScorerStore, sha256Hex } from './store'
import { plugin, watScorer } from './testing'

let dir: string
const managers: ScorerManager[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patronus-scorers-'))
})
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()))
  await rm(dir, { recursive: true, force: true })
})

let seq = 0
function ref(name: string, bytes: Uint8Array): ScorerRef {
  seq++
  return { name, id: `scr_${seq.toString(16).padStart(28, '0')}`, sha256: sha256Hex(bytes) }
}

function desired(refs: ScorerRef[], names = refs.map((r) => r.name)) {
  return {
    policies: names.map((name, k) => ({
      id: `pol_${k}`,
      name: `p${k}`,
      priority: k + 1,
      match: {},
      action: { preference: 'custom' as const, scorer: name },
    })),
    scorers: refs,
  } satisfies Pick<DesiredState, 'policies' | 'scorers'>
}

function setup(served: Map<string, Uint8Array>, extra: Partial<ScorerManagerOptions> = {}) {
  const fetched: string[] = []
  let changes = 0
  const store = new ScorerStore(
    join(dir, 'scorers'),
    async (id) => {
      fetched.push(id)
      const bytes = served.get(id)
      if (!bytes) throw new Error(`fetch scorer ${id}: Not found (HTTP 404)`)
      return bytes
    },
    silentLogger(),
  )
  const manager = new ScorerManager({
    store,
    clock: systemClock,
    logger: silentLogger(),
    sandbox: { budgetMs: 200, restartMs: 60_000 },
    onChange: () => changes++,
    ...extra,
  })
  managers.push(manager)
  const registry = new Registry()
  registerScorerMetrics(registry, manager)
  return { manager, fetched, registry, changes: () => changes }
}

const PEER = 'site-b'
function path(slot: number, rttMs: number, cost: number, up = true): PathInput {
  return {
    peerSiteId: PEER,
    localSlot: slot,
    remoteSlot: 0,
    up,
    rttMs,
    jitterMs: 0,
    lossRatio: 0,
    mos: 4.4,
    bandwidthMbps: 100,
    cost,
  }
}
const paths = () => [path(0, 10, 5), path(1, 40, 1), path(2, 5, 0, false)]
const scoresOf = (inputs: PathInput[], name: string) => inputs.map((p) => p.customScores?.[name])

async function metric(registry: Registry, name: string): Promise<string> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n')
}

describe('scorer manager', () => {
  it('fetches, verifies, caches and runs the named version; scores go onto the inputs', async () => {
    const cheapest = await plugin('cheapest')
    const v1 = ref('cheap', cheapest)
    const t = setup(new Map([[v1.id, cheapest]]))
    await t.manager.want(desired([v1]))
    expect(t.fetched).toEqual([v1.id])
    expect(await readdir(join(dir, 'scorers'))).toEqual([`${v1.id}-${v1.sha256.slice(0, 16)}.wasm`])
    expect(t.manager.running()).toEqual([{ name: 'cheap', id: v1.id, sha256: v1.sha256 }])
    const inputs = paths()
    expect(await t.manager.annotate(inputs, Date.now())).toEqual([])
    // One batch of the two paths that are up; the down one gets NaN (never chosen anyway).
    expect(scoresOf(inputs, 'cheap')).toEqual([-5, -1, Number.NaN])
    expect(await metric(t.registry, 'patronus_agent_scorer_call_seconds_count')).toBe(
      'patronus_agent_scorer_call_seconds_count{scorer="cheap"} 1',
    )
    // The same desired state again: nothing fetched, nothing restarted.
    await t.manager.want(desired([v1]))
    expect(t.fetched).toHaveLength(1)
    await t.manager.close()

    // A restart with the control plane away runs the cached plugin (fail-static).
    const again = setup(new Map())
    await again.manager.want(desired([v1]))
    expect(again.fetched).toEqual([])
    const later = paths()
    await again.manager.annotate(later, Date.now())
    expect(scoresOf(later, 'cheap')).toEqual([-5, -1, Number.NaN])
  })

  it('refuses bytes that do not match the hash, falls back with one event, retries', async () => {
    const cheapest = await plugin('cheapest')
    const v1 = ref('cheap', cheapest)
    const served = new Map([[v1.id, await plugin('trap')]])
    const t = setup(served, { retryMs: 300 })
    await t.manager.want(desired([v1]))
    expect(t.manager.running()).toEqual([])
    const inputs = paths()
    const events = await t.manager.annotate(inputs, Date.now())
    expect(scoresOf(inputs, 'cheap')).toEqual([undefined, undefined, undefined])
    expect(events).toEqual([
      {
        type: 'scorer.fallback',
        at: expect.any(Number),
        severity: 'warning',
        details: {
          scorer: 'cheap',
          reason: 'missing',
          message: expect.stringMatching(/hash to [0-9a-f]{64}, the desired state names/),
          scorerId: v1.id,
          classes: ['pol_0'],
        },
      },
    ])
    expect(await t.manager.annotate(paths(), Date.now())).toEqual([])
    expect(await metric(t.registry, 'patronus_agent_scorer_fallbacks_total')).toBe(
      'patronus_agent_scorer_fallbacks_total{scorer="cheap",reason="missing"} 2',
    )
    // Nothing unverified was cached. The control plane now serves the right bytes: the
    // retry picks them up and the manager asks for a re-evaluation.
    expect(await readdir(join(dir, 'scorers')).catch(() => [])).toEqual([])
    served.set(v1.id, cheapest)
    await expect.poll(() => t.manager.running().length, { timeout: 15_000 }).toBe(1)
    expect(t.changes()).toBeGreaterThanOrEqual(2)
    const healed = paths()
    expect(await t.manager.annotate(healed, Date.now())).toEqual([])
    expect(scoresOf(healed, 'cheap')).toEqual([-5, -1, Number.NaN])
  })

  it('drops a corrupt cache file and fetches the version again', async () => {
    const cheapest = await plugin('cheapest')
    const v1 = ref('cheap', cheapest)
    const t = setup(new Map([[v1.id, cheapest]]))
    const file = join(dir, 'scorers', `${v1.id}-${v1.sha256.slice(0, 16)}.wasm`)
    await t.manager.want(desired([v1]))
    await t.manager.close()
    await writeFile(file, 'garbage')
    const again = setup(new Map([[v1.id, cheapest]]))
    await again.manager.want(desired([v1]))
    expect(again.fetched).toEqual([v1.id])
    expect(again.manager.running()).toHaveLength(1)
  })

  it('hot-swaps to a new version: the old one serves until the new one is loaded', async () => {
    const cheapest = await plugin('cheapest')
    const slowest = await watScorer('(local.get $latency)')
    const v1 = ref('pick', cheapest)
    const v2 = ref('pick', slowest)
    const t = setup(
      new Map([
        [v1.id, cheapest],
        [v2.id, slowest],
      ]),
    )
    await t.manager.want(desired([v1]))
    const swapping = t.manager.want(desired([v2]))
    const during = paths()
    expect(await t.manager.annotate(during, Date.now())).toEqual([])
    expect(scoresOf(during, 'pick')).toEqual([-5, -1, Number.NaN])
    await swapping
    const after = paths()
    await t.manager.annotate(after, Date.now())
    expect(scoresOf(after, 'pick')).toEqual([10, 40, Number.NaN])
    expect(t.manager.running()).toEqual([{ name: 'pick', id: v2.id, sha256: v2.sha256 }])
    // The old version's cache file is gone; the new one's stays.
    expect(await readdir(join(dir, 'scorers'))).toEqual([`${v2.id}-${v2.sha256.slice(0, 16)}.wasm`])
  })

  it('a scorer without a named version falls back (missing); an unnamed one is stopped', async () => {
    const cheapest = await plugin('cheapest')
    const v1 = ref('cheap', cheapest)
    const t = setup(new Map([[v1.id, cheapest]]))
    await t.manager.want(desired([v1]))
    await t.manager.want(desired([], ['cheap']))
    expect(t.manager.running()).toEqual([])
    const events = await t.manager.annotate(paths(), Date.now())
    expect(events.map((e) => e.details?.reason)).toEqual(['missing'])
    expect(events[0]?.details?.message).toMatch(/names no version of scorer cheap/)
    await t.manager.want({ policies: [], scorers: [] })
    const none = paths()
    expect(await t.manager.annotate(none, Date.now())).toEqual([])
    expect(none.every((p) => p.customScores === undefined)).toBe(true)
  })

  it('a looping plugin: cut off, lowest-latency for its class, one event, counted', async () => {
    const looping = await plugin('loop')
    const v1 = ref('slow', looping)
    const t = setup(new Map([[v1.id, looping]]))
    await t.manager.want(desired([v1]))
    const engine = new PathSelector({
      clock: systemClock,
      classes: [{ id: 'pol_0', name: 'p0', preference: 'custom', scorer: 'slow' }],
      failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 0 },
    })
    const inputs = paths()
    const started = performance.now()
    const events = await t.manager.annotate(inputs, Date.now())
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(events.map((e) => [e.type, e.details?.reason])).toEqual([['scorer.fallback', 'timeout']])
    // No scores: the class is scored lowest-latency (slot 0, 10 ms) instead of by the plugin.
    expect(engine.evaluate(inputs).decisions[0]?.path?.localSlot).toBe(0)
    // The sandbox is dead until its restart (60 s here): the next evaluations answer at once.
    const quick = performance.now()
    expect(await t.manager.annotate(paths(), Date.now())).toEqual([])
    expect(performance.now() - quick).toBeLessThan(50)
    expect(await metric(t.registry, 'patronus_agent_scorer_fallbacks_total')).toBe(
      'patronus_agent_scorer_fallbacks_total{scorer="slow",reason="timeout"} 2',
    )
    expect(await metric(t.registry, 'patronus_agent_scorer_call_seconds_count')).toBe(
      'patronus_agent_scorer_call_seconds_count{scorer="slow"} 1',
    )
  })

  it('a plugin that traps falls back with reason error; the plugin choice otherwise wins', async () => {
    const trap = await plugin('trap')
    const cheapest = await plugin('cheapest')
    const bad = ref('bad', trap)
    const good = ref('cheap', cheapest)
    const t = setup(
      new Map([
        [bad.id, trap],
        [good.id, cheapest],
      ]),
    )
    await t.manager.want(desired([bad, good]))
    const inputs = paths()
    const events = await t.manager.annotate(inputs, Date.now())
    expect(events.map((e) => [e.details?.scorer, e.details?.reason])).toEqual([['bad', 'error']])
    const engine = new PathSelector({
      clock: systemClock,
      classes: [
        { id: 'pol_0', name: 'p0', preference: 'custom', scorer: 'bad' },
        { id: 'pol_1', name: 'p1', preference: 'custom', scorer: 'cheap' },
      ],
      failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 0 },
    })
    const slots = engine.evaluate(inputs).decisions.map((d) => [d.classId, d.path?.localSlot])
    // The trapping scorer's class: lowest-latency (slot 0); the cheap one: the cheaper slot 1.
    expect(slots).toEqual([
      ['pol_0', 0],
      ['pol_1', 1],
    ])
  })
})
