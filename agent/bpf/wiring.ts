/**
 * The classifier in the running agent (`run --lan-interface IFACE`): attach once at start,
 * write the compiled tables on every reconfig (never a reload), one `ip rule fwmark` per
 * policy class so that marked flows (applications and SNI included) look up the class's
 * table that the path monitor steers, and detach and remove those rules on stop.
 *
 * Class numbering is the one of agent/decision/classes.ts and agent/pathmon: class k is the
 * k-th policy in priority order, table classTableBase + k, mark classMarkBase + k (the
 * compiler's default). Only the first 16 classes have tables (pathmon), so only they get
 * a rule.
 *
 * Rule priority: the mesh plan owns rulePriorityBase..+100 (uplink fwmark rules at +0..15,
 * `from` rules at +16..31, the mesh table at +100); pathmon's match rules are at +40..55.
 * The fwmark rules share one priority, PRIORITIES.classifier (1032), free and before the
 * match rules: a marked flow takes its class's table whatever a match rule would say. The
 * marks are distinct, so sharing a priority is unambiguous.
 *
 * Without BPF (no object, no clang, a kernel or a tc that refuses the program) the agent
 * says so once and keeps pathmon's port/prefix/DSCP rules; application policies are then
 * not enforced.
 */
import type { DesiredState } from '../../protocol/agent'
import type { Logger } from '../logger'
import { MESH_DEFAULTS } from '../plan/mesh-plan'
import { PRIORITIES } from '../plan/numbers'
import type { Routing, RuleSpec } from '../routing/types'
import { type AppSignature, FIRST_NAMED_APP, signaturesOf } from './apps'
import {
  type ClassifierPolicy,
  type ClassifierTables,
  compilePolicies,
  DEFAULT_CLASS_MARK_BASE,
} from './compile'
import { MAX_CLASSES } from './layout'
import { BpfUnavailableError, type ClassifierCounters } from './loader'

/** Priority of the class fwmark rules (numbers.ts). */
export const CLASSIFIER_RULE_PRIORITY = PRIORITIES.classifier.base

/** What the wiring needs of a Classifier (loader.ts); tests pass a fake. */
export interface ClassifierLike {
  readonly ifname: string
  attach(): Promise<void>
  apply(tables: ClassifierTables): Promise<{ updates: number; generation: number }>
  counters(): Promise<ClassifierCounters>
  detach(): Promise<void>
}

export type ClassifierState = 'detached' | 'attached' | 'unavailable'

export interface ClassifierWiringOptions {
  classifier: ClassifierLike
  routing: Pick<Routing, 'rules' | 'ensureRule' | 'deleteRule'>
  logger: Logger
  classTableBase?: number
  classMarkBase?: number
  rulePriority?: number
}

/** Counters labelled for /metrics: class = the policy's name, "default" for unmatched. */
export interface LabelledCounters {
  /** policyId: the class's policy id (telemetry's class key), "default" for unmatched. */
  classes: { label: string; policyId: string; packets: number; bytes: number }[]
  applications: { label: string; packets: number; bytes: number }[]
}

export const UNCLASSIFIED_LABEL = 'default'

export class ClassifierWiring {
  readonly #c: ClassifierLike
  readonly #routing: ClassifierWiringOptions['routing']
  readonly #log: Logger
  readonly #tableBase: number
  readonly #markBase: number
  readonly #priority: number
  #state: ClassifierState = 'detached'
  #rules = new Map<string, RuleSpec>()
  #classNames = new Map<number, string>()
  #classIds = new Map<number, string>()
  readonly #warned = new Set<string>()
  /** The policies of the last reconfig, kept so that an ECMP change can rewrite the tables. */
  #policies: ClassifierPolicy[] | undefined
  /** The org's own applications of the last reconfig, compiled with the policies. */
  #applications: Record<string, AppSignature> = {}
  /** Named application ids last written: an application keeps its id (apps.ts). */
  #appIds = new Map<string, number>()
  /** ECMP buckets of load-balance classes (ecmp.ts); written with the policies. */
  #balance: { marks: Record<number, number[]>; perPacket: number[] } = { marks: {}, perPacket: [] }
  /** Table writes never interleave (a reconfig and an ECMP change may race). */
  #writes: Promise<unknown> = Promise.resolve()

  constructor(options: ClassifierWiringOptions) {
    this.#c = options.classifier
    this.#routing = options.routing
    this.#log = options.logger.child({ component: 'classifier' })
    this.#tableBase = options.classTableBase ?? MESH_DEFAULTS.classTableBase
    this.#markBase = options.classMarkBase ?? DEFAULT_CLASS_MARK_BASE
    this.#priority = options.rulePriority ?? CLASSIFIER_RULE_PRIORITY
  }

  get state(): ClassifierState {
    return this.#state
  }

  get ifname(): string {
    return this.#c.ifname
  }

  /** Attaches; false (logged once) when BPF is unavailable. Other errors propagate. */
  async start(): Promise<boolean> {
    if (this.#state === 'attached') return true
    try {
      await this.#c.attach()
    } catch (error) {
      if (!(error instanceof BpfUnavailableError)) throw error
      this.unavailable(error.message)
      return false
    }
    this.#state = 'attached'
    await this.#sweep()
    this.#log.info({ interface: this.#c.ifname }, 'eBPF classifier attached')
    return true
  }

  /** Records (and logs once) that the classifier cannot run here. */
  unavailable(reason: string): void {
    this.#state = 'unavailable'
    this.#log.warn(
      { interface: this.#c.ifname, reason },
      'eBPF classifier unavailable: port, prefix and DSCP policies use ip rules; application policies are not enforced',
    )
  }

  /** A crashed predecessor may have left fwmark rules at our priority: start from none. */
  async #sweep(): Promise<void> {
    for (const r of await this.#routing.rules(4)) {
      if (this.#ours(r)) await this.#routing.deleteRule(r)
    }
  }

  #ours(r: RuleSpec): boolean {
    return (
      r.priority === this.#priority &&
      r.fwmark !== undefined &&
      r.table >= this.#tableBase &&
      r.table < this.#tableBase + MAX_CLASSES
    )
  }

  /** Writes the policies' tables (no reload) and the class fwmark rules. */
  async reconfig(
    desired: Pick<DesiredState, 'policies'> & Partial<Pick<DesiredState, 'applications'>>,
  ): Promise<void> {
    if (this.#state !== 'attached') return
    this.#applications = signaturesOf(desired.applications ?? [])
    const policies: ClassifierPolicy[] = [...desired.policies]
      .sort((a, b) => a.priority - b.priority)
      .map((p) => ({
        id: p.id,
        priority: p.priority,
        match: p.match,
        action: { preference: p.action.preference },
      }))
    this.#policies = policies
    const { updates, generation } = await this.#write()
    const names = new Map<number, string>()
    const ids = new Map<number, string>()
    const wanted: RuleSpec[] = []
    policies.slice(0, MAX_CLASSES).forEach((p, k) => {
      const named = desired.policies.find((d) => d.id === p.id)
      names.set(k, named?.name ?? p.id)
      ids.set(k, p.id)
      wanted.push({
        priority: this.#priority,
        table: this.#tableBase + k,
        fwmark: this.#markBase + k,
        family: 4,
      })
    })
    this.#classNames = names
    this.#classIds = ids
    await this.#applyRules(wanted)
    this.#log.debug({ updates, generation, classes: wanted.length }, 'classifier tables written')
  }

  /**
   * Sets the ECMP buckets of load-balance classes (class id -> LB_BUCKETS marks) and writes
   * the tables at once (no reload; flows pick their bucket again on their next packet, and a
   * bucket that kept its path keeps its flows there).
   */
  async setBalance(marks: Record<number, number[]>, perPacket: number[]): Promise<void> {
    this.#balance = { marks, perPacket }
    if (this.#state !== 'attached' || !this.#policies) return
    await this.#write()
  }

  #write(): Promise<{ updates: number; generation: number }> {
    const run = async () => {
      const tables = compilePolicies({
        policies: this.#policies ?? [],
        applications: this.#applications,
        appIds: this.#appIds,
        classMarkBase: this.#markBase,
        lbMarks: this.#balance.marks,
        perPacket: this.#balance.perPacket,
      })
      for (const w of tables.warnings) {
        if (this.#warned.has(w)) continue
        this.#warned.add(w)
        this.#log.warn({}, `classifier: ${w}`)
      }
      const applied = await this.#c.apply(tables)
      this.#appIds = new Map(
        [...tables.appNames]
          .filter(([id]) => id >= FIRST_NAMED_APP)
          .map(([id, name]) => [name, id]),
      )
      return applied
    }
    const next = this.#writes.then(run, run)
    this.#writes = next.catch(() => {})
    return next
  }

  async #applyRules(wanted: RuleSpec[]): Promise<void> {
    const key = (r: RuleSpec) => `${r.fwmark} ${r.table}`
    const next = new Map(wanted.map((r) => [key(r), r]))
    for (const [k, r] of next) {
      if (this.#rules.has(k)) continue
      await this.#routing.ensureRule(r)
      this.#rules.set(k, r)
    }
    for (const [k, r] of this.#rules) {
      if (next.has(k)) continue
      await this.#routing.deleteRule(r)
      this.#rules.delete(k)
    }
  }

  /** Per-class and per-application counters, labelled; undefined when not attached. */
  async counters(): Promise<LabelledCounters | undefined> {
    if (this.#state !== 'attached') return undefined
    const c = await this.#c.counters()
    const classes = Object.entries(c.classes).map(([id, v]) => ({
      label: this.#classNames.get(Number(id)) ?? `class-${id}`,
      policyId: this.#classIds.get(Number(id)) ?? `class-${id}`,
      packets: v.packets,
      bytes: v.bytes,
    }))
    classes.push({
      label: UNCLASSIFIED_LABEL,
      policyId: UNCLASSIFIED_LABEL,
      ...c.unclassified,
    })
    const applications = Object.entries(c.applications).map(([label, v]) => ({ label, ...v }))
    return { classes, applications }
  }

  /** Removes the rules first (traffic falls back to the other rules), then the program. */
  async close(): Promise<void> {
    const errors: string[] = []
    await this.#applyRules([]).catch((e: Error) => errors.push(`rules: ${e.message}`))
    if (this.#state === 'attached') {
      await this.#c.detach().catch((e: Error) => errors.push(`detach: ${e.message}`))
      this.#state = 'detached'
      this.#log.info({ interface: this.#c.ifname }, 'eBPF classifier detached')
    }
    if (errors.length) throw new Error(`classifier close: ${errors.join('; ')}`)
  }
}
