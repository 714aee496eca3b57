import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { silentLogger } from '../logger'
import { memoryRouting } from '../routing/memory'
import type { ClassifierTables } from './compile'
import { BpfUnavailableError, type ClassifierCounters } from './loader'
import { registerClassifierMetrics } from './metrics'
import { CLASSIFIER_RULE_PRIORITY, type ClassifierLike, ClassifierWiring } from './wiring'

type Policy = DesiredState['policies'][number]

const policy = (id: string, name: string, priority: number, match: object): Policy =>
  ({ id, name, priority, match, action: { preference: 'lowest-latency' } }) as Policy

const voice = policy('pol_v', 'voice', 10, { applications: ['voip'] })
const web = policy('pol_w', 'web', 20, { protocols: ['tcp'], ports: [443] })
const backup = policy('pol_b', 'backup', 5, { destinationPrefixes: ['10.9.0.0/16'] })

class FakeClassifier implements ClassifierLike {
  readonly ifname = 'lan0'
  calls: string[] = []
  applied: ClassifierTables[] = []
  constructor(private readonly fail?: Error) {}
  async attach() {
    this.calls.push('attach')
    if (this.fail) throw this.fail
  }
  async apply(tables: ClassifierTables) {
    this.calls.push('apply')
    this.applied.push(tables)
    return { updates: 1, generation: this.applied.length }
  }
  async counters(): Promise<ClassifierCounters> {
    return {
      stats: {} as ClassifierCounters['stats'],
      classes: { 0: { packets: 3, bytes: 300 }, 1: { packets: 5, bytes: 500 } },
      unclassified: { packets: 7, bytes: 700 },
      applications: { sip: { packets: 2, bytes: 200 } },
    }
  }
  async detach() {
    this.calls.push('detach')
  }
}

function setup(fail?: Error) {
  const classifier = new FakeClassifier(fail)
  const routing = memoryRouting()
  const wiring = new ClassifierWiring({ classifier, routing, logger: silentLogger() })
  return { classifier, routing, wiring }
}

describe('ClassifierWiring', () => {
  it('attaches once, applies on every reconfig without reloading, one fwmark rule per class', async () => {
    const { classifier, routing, wiring } = setup()
    // A stale rule of a crashed predecessor, and someone else's rule: only ours goes.
    await routing.ensureRule({ priority: CLASSIFIER_RULE_PRIORITY, table: 7305, fwmark: 0x7305 })
    await routing.ensureRule({ priority: 1040, table: 7300, ipproto: 6 })
    expect(await wiring.start()).toBe(true)
    expect(routing.dump()).toBe('rule 1040: ipproto 6 lookup 7300')
    await wiring.reconfig({ policies: [voice, web, backup] })
    // Classes follow policy priority order: backup (5) 0, voice (10) 1, web (20) 2.
    expect(classifier.applied[0]?.policyClass).toEqual([0, 1, 2])
    expect(classifier.applied[0]?.classPolicy.get(1)).toBe('pol_v')
    const fwmark = async () =>
      (await routing.rules())
        .filter((r) => r.fwmark !== undefined)
        .map((r) => [r.priority, r.fwmark, r.table])
        .sort()
    expect(await fwmark()).toEqual([
      [1032, 0x7300, 7300],
      [1032, 0x7301, 7301],
      [1032, 0x7302, 7302],
    ])
    // The priority is above (before) pathmon's match rules (1040+k).
    expect(CLASSIFIER_RULE_PRIORITY).toBeLessThan(1040)

    await wiring.reconfig({ policies: [voice] })
    expect(classifier.calls).toEqual(['attach', 'apply', 'apply'])
    expect(await fwmark()).toEqual([[1032, 0x7300, 7300]])

    await wiring.close()
    expect(classifier.calls.at(-1)).toBe('detach')
    expect(routing.dump()).toBe('rule 1040: ipproto 6 lookup 7300')
    expect(wiring.state).toBe('detached')
  })

  it('without BPF: says so, changes nothing, reconfig and close are no-ops', async () => {
    const { classifier, routing, wiring } = setup(new BpfUnavailableError('no bpf here'))
    expect(await wiring.start()).toBe(false)
    expect(wiring.state).toBe('unavailable')
    await wiring.reconfig({ policies: [voice, web] })
    await wiring.close()
    expect(classifier.calls).toEqual(['attach'])
    expect(routing.dump()).toBe('')
    expect(await wiring.counters()).toBeUndefined()
  })

  it('setBalance rewrites the tables with the ECMP buckets, kept across reconfigs', async () => {
    const { classifier, wiring } = setup()
    await wiring.start()
    // Before any reconfig there are no policies to write: nothing is applied.
    await wiring.setBalance({ 1: new Array(64).fill(0x7410) }, [])
    expect(classifier.applied).toHaveLength(0)
    await wiring.reconfig({ policies: [voice, web] })
    const marks = Array.from({ length: 64 }, (_, b) => (b % 3 === 0 ? 0x7411 : 0x7410))
    await wiring.setBalance({ 1: marks }, [1])
    const t = classifier.applied.at(-1)
    expect(t?.classes[1]?.lbMode).toBe(2)
    expect(t?.lb.slice(64, 128)).toEqual(marks)
    expect(t?.classes[0]?.lbMode).toBe(0)
    // A reconfig keeps the buckets (only an ECMP update changes them).
    await wiring.reconfig({ policies: [voice, web] })
    expect(classifier.applied.at(-1)?.lb.slice(64, 128)).toEqual(marks)
    await wiring.setBalance({}, [])
    expect(classifier.applied.at(-1)?.classes[1]?.lbMode).toBe(0)
  })

  it('counters carry the policy id for telemetry', async () => {
    const { wiring } = setup()
    await wiring.start()
    await wiring.reconfig({ policies: [voice, web] })
    const c = await wiring.counters()
    expect(c?.classes.map((x) => [x.label, x.policyId])).toEqual([
      ['voice', 'pol_v'],
      ['web', 'pol_w'],
      ['default', 'default'],
    ])
  })

  it("compiles the desired state's own applications: names in the name table, ports as rules", async () => {
    const { classifier, wiring } = setup()
    await wiring.start()
    const backupPolicy = policy('pol_bk', 'backup', 1, { applications: ['backup'] })
    await wiring.reconfig({
      policies: [backupPolicy, voice],
      applications: [
        {
          name: 'backup',
          names: ['backup.example'],
          ports: [{ protocol: 'tcp', ports: '9102' }],
        },
      ],
    })
    const t = classifier.applied.at(-1)
    const id = [...(t?.appNames ?? [])].find(([, name]) => name === 'backup')?.[0]
    expect(id).toBeDefined()
    expect(t?.names).toContainEqual({ suffix: 'backup.example', app: id })
    expect(t?.warnings).toEqual([])
    // backup: its names (bit 0) and its port (bit 1), both class 0; voice class 1.
    expect(t?.policyClass).toEqual([0, 0, 1])
    expect(t?.apps[id ?? 0]).toBe(0b001n | t!.appWild)
    expect(t?.ports).toEqual([{ lo: 9102, hi: 9102, mask: 0b010n }])
    // The application goes away with the next document that no longer has it.
    await wiring.reconfig({ policies: [voice] })
    expect(classifier.applied.at(-1)?.names.some((n) => n.suffix === 'backup.example')).toBe(false)
  })

  it('an application keeps its id when another one is added (running flows keep their app)', async () => {
    const { classifier, wiring } = setup()
    await wiring.start()
    const app = (name: string) => ({ name, names: [`${name}.example`], ports: [] })
    const idOf = (name: string) =>
      [...(classifier.applied.at(-1)?.appNames ?? [])].find(([, n]) => n === name)?.[0]
    await wiring.reconfig({ policies: [voice], applications: [app('backup')] })
    const backupId = idOf('backup')
    // "aaa" sorts first: numbered afresh, it would take backup's id.
    await wiring.reconfig({ policies: [voice], applications: [app('aaa'), app('backup')] })
    expect(idOf('backup')).toBe(backupId)
    expect(idOf('aaa')).not.toBe(backupId)
  })

  it('other attach errors propagate', async () => {
    const { wiring } = setup(new Error('boom'))
    await expect(wiring.start()).rejects.toThrow('boom')
  })
})

describe('registerClassifierMetrics', () => {
  it('exports per-class (policy name, default = unmatched) and per-application counters', async () => {
    const { wiring } = setup()
    await wiring.start()
    await wiring.reconfig({ policies: [voice, web] })
    const registry = new Registry()
    registerClassifierMetrics(registry, wiring)
    const text = await registry.metrics()
    expect(text).toContain('patronus_agent_class_packets_total{class="voice"} 3')
    expect(text).toContain('patronus_agent_class_bytes_total{class="web"} 500')
    expect(text).toContain('patronus_agent_class_packets_total{class="default"} 7')
    expect(text).toContain('patronus_agent_application_packets_total{application="sip"} 2')
    expect(text).toContain('patronus_agent_application_bytes_total{application="sip"} 200')
  })

  it('exports nothing while the classifier is not attached', async () => {
    const { wiring } = setup(new BpfUnavailableError('no'))
    await wiring.start()
    const registry = new Registry()
    registerClassifierMetrics(registry, wiring)
    expect(await registry.metrics()).not.toContain('class="')
  })
})
