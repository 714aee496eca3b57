/**
 * Per-uplink egress shaping in the running agent. wireguard-go encapsulates in userspace, so
 * the class mark only exists on a packet until it leaves through a tunnel interface `wg-i-j`;
 * the underlay packet on the physical uplink is a new one (docs/qos.md). So each shaped
 * uplink i gets one `ifb` device carrying the HTB tree of qos.ts (rate = the uplink's
 * bandwidthMbps), and the egress of every tunnel of that uplink (`wg-i-*`) is redirected to
 * it (clsact egress, u32 match-all + mirred, both present on this kernel): all classes of
 * all peers over uplink i share one set of token buckets, as the uplink does.
 *
 * Shaping is on only when some policy has `action.qos`; an uplink with no known bandwidth is
 * left alone (said once). Class k (policy priority order, the first 16) gets HTB class
 * 1:(0x10+k) with the policy's rate, ceil (default: the uplink), priority and burst, clamped
 * to the uplink; unmarked traffic and classes without qos share the default class, which is
 * guaranteed what the qos classes leave; leaves get fq_codel where the kernel has it. Every
 * reconfig re-applies (`tc ... replace` is idempotent); stop removes the redirects and the
 * ifb devices (and with them the trees).
 */
import type { DesiredState } from '../../protocol/agent'
import { type CommandRunner, execRunner, tcArgs } from '../bpf/exec'
import { MAX_CLASSES } from '../bpf/layout'
import type { Logger } from '../logger'
import type { MeshPlan } from '../plan/mesh-plan'
import { TC_FILTER_PREFS } from '../plan/numbers'
import { applyQos, DEFAULT_HTB_MINOR, htbMinor, type QosClass } from './qos'

/** tc filter preference of the redirect on the tunnels' egress. */
export const SHAPING_FILTER_PREF = TC_FILTER_PREFS.shaping

export interface UplinkShaping {
  slot: number
  /** The ifb device holding the uplink's HTB tree. */
  ifb: string
  rateMbit: number
  defaultRateMbit: number
  classes: QosClass[]
  /** Tunnel interfaces of this uplink (`wg-i-*`). */
  tunnels: string[]
}

export function ifbName(interfacePrefix: string, slot: number): string {
  return `${interfacePrefix}q${slot.toString(16)}`
}

/** What to shape: pure. */
export interface ShapingPlan {
  uplinks: UplinkShaping[]
  warnings: string[]
}

export function planShaping(
  desired: DesiredState,
  mesh: Pick<MeshPlan, 'interfaces'>,
  options: { interfacePrefix: string },
): ShapingPlan {
  const warnings: string[] = []
  const policies = [...desired.policies]
    .sort((a, b) => a.priority - b.priority)
    .slice(0, MAX_CLASSES)
  if (!policies.some((p) => p.action.qos)) return { uplinks: [], warnings }
  const uplinks: UplinkShaping[] = []
  for (const u of desired.uplinks) {
    const bw = u.bandwidthMbps
    if (bw === null || !(bw > 0)) {
      warnings.push(`uplink ${u.name}: no bandwidthMbps, not shaped`)
      continue
    }
    const classes: QosClass[] = []
    policies.forEach((p, k) => {
      const q = p.action.qos
      if (!q) return
      const rate = Math.min(q.rateMbps, bw)
      const c: QosClass = {
        classId: k,
        rateMbit: rate,
        ceilMbit: Math.max(rate, Math.min(q.ceilMbps ?? bw, bw)),
        prio: q.priority ?? 3,
      }
      if (q.burstBytes !== undefined) c.burstBytes = q.burstBytes
      classes.push(c)
    })
    const guaranteed = classes.reduce((s, c) => s + c.rateMbit, 0)
    if (guaranteed > bw)
      warnings.push(`uplink ${u.name}: qos rates add up to ${guaranteed} Mbit/s, over its ${bw}`)
    uplinks.push({
      slot: u.slot,
      ifb: ifbName(options.interfacePrefix, u.slot),
      rateMbit: bw,
      // The default class is guaranteed what the qos classes leave (1 Mbit/s at least).
      defaultRateMbit: Math.max(1, bw - guaranteed),
      classes,
      tunnels: mesh.interfaces.filter((i) => i.localSlot === u.slot).map((i) => i.name),
    })
  }
  return { uplinks, warnings }
}

export interface ShaperOptions {
  interfacePrefix: string
  mode: 'lab' | 'prod'
  /** bpf/build/qos.o */
  objectPath: string
  logger: Logger
  netns?: string
  run?: CommandRunner
}

export class UplinkShaper {
  readonly #o: ShaperOptions
  readonly #run: CommandRunner
  readonly #log: Logger
  /** ifb -> what was applied there (JSON), to skip unchanged trees. */
  readonly #trees = new Map<string, string>()
  /** tunnel -> ifb it redirects to; whether we added its clsact. */
  readonly #redirects = new Map<string, { ifb: string; clsact: boolean }>()
  readonly #warned = new Set<string>()

  constructor(options: ShaperOptions) {
    this.#o = options
    this.#run = options.run ?? execRunner
    this.#log = options.logger.child({ component: 'shaping' })
  }

  #tc(args: string[], allowFail = false) {
    const [cmd, a] = tcArgs(this.#o.netns, args)
    const p = this.#run(cmd, a)
    return allowFail ? p.catch(() => ({ stdout: '', stderr: '' })) : p
  }

  #ip(args: string[], allowFail = false) {
    const a = this.#o.netns ? ['-n', this.#o.netns, ...args] : args
    const p = this.#run('ip', a)
    return allowFail ? p.catch(() => ({ stdout: '', stderr: '' })) : p
  }

  /** Applies the plan's shaping part (planShaping, computed once in the site plan). */
  async reconfig(plan: ShapingPlan): Promise<void> {
    for (const w of plan.warnings) {
      if (this.#warned.has(w)) continue
      this.#warned.add(w)
      this.#log.warn({}, w)
    }
    const wantedIfbs = new Set(plan.uplinks.map((u) => u.ifb))
    const wantedTunnels = new Map<string, string>()
    for (const u of plan.uplinks) {
      const key = JSON.stringify(u)
      if (this.#trees.get(u.ifb) !== key) {
        await this.#ensureIfb(u.ifb)
        await applyQos(
          {
            ifname: u.ifb,
            rateMbit: u.rateMbit,
            defaultRateMbit: u.defaultRateMbit,
            classes: u.classes,
            objectPath: this.#o.objectPath,
            ...(this.#o.netns ? { netns: this.#o.netns } : {}),
          },
          this.#run,
        )
        await this.#leafQueues(u)
        this.#trees.set(u.ifb, key)
        this.#log.info(
          { uplink: u.slot, device: u.ifb, rateMbit: u.rateMbit, classes: u.classes },
          'uplink shaping applied',
        )
      }
      for (const t of u.tunnels) wantedTunnels.set(t, u.ifb)
    }
    for (const [tunnel, ifb] of wantedTunnels) await this.#redirect(tunnel, ifb)
    for (const [tunnel, r] of [...this.#redirects]) {
      if (wantedTunnels.get(tunnel) !== r.ifb) await this.#unredirect(tunnel)
    }
    for (const ifb of [...this.#trees.keys()]) {
      if (wantedIfbs.has(ifb)) continue
      await this.#ip(['link', 'del', ifb], true)
      this.#trees.delete(ifb)
    }
  }

  /**
   * fq_codel under every HTB leaf keeps the queues short where the kernel has it; this lab
   * kernel has neither fq_codel nor sfq (docs/qos.md), so the first refusal is said once and
   * the leaves keep HTB's default pfifo.
   */
  async #leafQueues(u: UplinkShaping): Promise<void> {
    if (this.#fqCodel === false) return
    const leaves = [...u.classes.map((c) => htbMinor(c.classId)), DEFAULT_HTB_MINOR]
    for (const minor of leaves) {
      const parent = `1:${minor.toString(16)}`
      try {
        await this.#tc(['qdisc', 'replace', 'dev', u.ifb, 'parent', parent, 'fq_codel'])
        this.#fqCodel = true
      } catch (error) {
        if (this.#fqCodel === undefined) {
          this.#fqCodel = false
          this.#log.info(
            { err: (error as Error).message },
            'fq_codel unavailable: HTB leaves keep pfifo',
          )
          return
        }
        throw error
      }
    }
  }

  /** Whether the kernel took an fq_codel leaf (undefined: not tried yet). */
  #fqCodel: boolean | undefined

  async #ensureIfb(name: string): Promise<void> {
    const shown = await this.#ip(['link', 'show', name], true)
    if (!shown.stdout.includes(name)) await this.#ip(['link', 'add', name, 'type', 'ifb'])
    await this.#ip(['link', 'set', name, 'up'])
  }

  /** Redirects the tunnel's egress to the ifb, unless our filter is there already. */
  async #redirect(tunnel: string, ifb: string): Promise<void> {
    const qdiscs = await this.#tc(['-j', 'qdisc', 'show', 'dev', tunnel], true)
    if (!qdiscs.stdout.trim()) {
      // The tunnel does not exist (yet): the next reconfig tries again.
      this.#redirects.delete(tunnel)
      return
    }
    const hasClsact = (JSON.parse(qdiscs.stdout) as { kind: string }[]).some(
      (q) => q.kind === 'clsact',
    )
    const known = this.#redirects.get(tunnel)
    if (hasClsact && known?.ifb === ifb) {
      const filters = await this.#tc(['-j', 'filter', 'show', 'dev', tunnel, 'egress'], true)
      const ours = (JSON.parse(filters.stdout || '[]') as { pref?: number }[]).some(
        (f) => f.pref === SHAPING_FILTER_PREF,
      )
      if (ours) return
    }
    let added = known?.clsact ?? false
    if (!hasClsact) {
      await this.#tc(['qdisc', 'add', 'dev', tunnel, 'clsact'])
      added = true
    }
    await this.#tc(
      ['filter', 'del', 'dev', tunnel, 'egress', 'pref', String(SHAPING_FILTER_PREF)],
      true,
    )
    await this.#tc([
      'filter',
      'add',
      'dev',
      tunnel,
      'egress',
      'pref',
      String(SHAPING_FILTER_PREF),
      'protocol',
      'all',
      'u32',
      'match',
      'u32',
      '0',
      '0',
      'action',
      'mirred',
      'egress',
      'redirect',
      'dev',
      ifb,
    ])
    this.#redirects.set(tunnel, { ifb, clsact: added })
  }

  async #unredirect(tunnel: string): Promise<void> {
    const r = this.#redirects.get(tunnel)
    this.#redirects.delete(tunnel)
    await this.#tc(
      ['filter', 'del', 'dev', tunnel, 'egress', 'pref', String(SHAPING_FILTER_PREF)],
      true,
    )
    if (r?.clsact) await this.#tc(['qdisc', 'del', 'dev', tunnel, 'clsact'], true)
  }

  /** Removes every redirect and ifb (their HTB trees go with them). Idempotent. */
  async close(): Promise<void> {
    for (const tunnel of [...this.#redirects.keys()]) await this.#unredirect(tunnel)
    for (const ifb of [...this.#trees.keys()]) {
      await this.#ip(['link', 'del', ifb], true)
      this.#trees.delete(ifb)
    }
  }
}
