/**
 * The classifier's life cycle on one interface: attach (clsact ingress, `tc ... bpf da`),
 * find the program's maps by its map_ids (maps are global, names are not unique), write the
 * compiled tables on every reconfig without reloading the program, read counters and flows,
 * and detach leaving nothing behind. Nothing is pinned: the tc filter holds the only
 * reference, so deleting it frees the program and its maps.
 *
 * A reconfig writes the tables first and the config entry (with a new generation) last;
 * flows re-evaluate lazily on their next packet when they see the new generation.
 */
import { existsSync } from 'node:fs'
import { TC_FILTER_PREFS } from '../plan/numbers'
import type { ClassifierTables } from './compile'
import {
  BpfCommandError,
  bpftoolArgs,
  type CommandRunner,
  execRunner,
  fromHexList,
  hex,
  tcArgs,
} from './exec'
import {
  decodeFlow,
  encodeClass,
  encodeConfig,
  encodeNameKey,
  encodePortRule,
  encodePrefixKey,
  type FlowEntry,
  MAP_NAMES,
  MAX_CLASSES,
  MAX_PORT_RULES,
  type MapName,
  STAT_NAMES,
  type StatName,
  u32,
  u64,
} from './layout'

export class BpfUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BpfUnavailableError'
  }
}

export interface ClassifierOptions {
  ifname: string
  /** Named network namespace (lab); default the agent's own. */
  netns?: string
  /** Compiled object (bpf/build/classifier.o). */
  objectPath: string
  /** tc filter preference; ours alone on this priority. */
  pref?: number
  run?: CommandRunner
}

export interface Counter {
  packets: number
  bytes: number
}

export interface ClassifierCounters {
  stats: Record<StatName, number>
  /** Class id -> traffic marked with it. */
  classes: Record<number, Counter>
  unclassified: Counter
  /** Application name (or `app-<id>`) -> traffic. */
  applications: Record<string, Counter>
}

type Entry = { key: Buffer; value: Buffer }

export class Classifier {
  readonly ifname: string
  readonly netns: string | undefined
  private readonly objectPath: string
  private readonly pref: number
  private readonly run: CommandRunner
  private progId: number | undefined
  private maps = new Map<MapName, number>()
  private createdQdisc = false
  /** What the last apply() wrote, to send only differences. */
  private written = new Map<MapName, Map<string, string>>()
  private generation = 0
  private appNames = new Map<number, string>()

  constructor(options: ClassifierOptions) {
    this.ifname = options.ifname
    this.netns = options.netns
    this.objectPath = options.objectPath
    this.pref = options.pref ?? TC_FILTER_PREFS.classifier
    this.run = options.run ?? execRunner
  }

  get programId(): number | undefined {
    return this.progId
  }

  private tc(args: string[]) {
    const [cmd, a] = tcArgs(this.netns, args)
    return this.run(cmd, a)
  }

  private bpftool(args: string[], input?: string) {
    const [cmd, a] = bpftoolArgs(this.netns, args)
    return this.run(cmd, a, input === undefined ? {} : { input, timeoutMs: 60_000 })
  }

  async attach(): Promise<void> {
    if (this.progId !== undefined) return
    if (!existsSync(this.objectPath))
      throw new BpfUnavailableError(
        `classifier object ${this.objectPath} is missing (npm run build:bpf)`,
      )
    const qdiscs = await this.tc(['-j', 'qdisc', 'show', 'dev', this.ifname])
    const hasClsact = (JSON.parse(qdiscs.stdout || '[]') as { kind: string }[]).some(
      (q) => q.kind === 'clsact',
    )
    try {
      if (!hasClsact) {
        await this.tc(['qdisc', 'add', 'dev', this.ifname, 'clsact'])
        this.createdQdisc = true
      }
      await this.tc([
        'filter',
        'add',
        'dev',
        this.ifname,
        'ingress',
        'pref',
        String(this.pref),
        'handle',
        '1',
        'bpf',
        'da',
        'obj',
        this.objectPath,
        'sec',
        'tc',
      ])
      this.progId = await this.findProgram()
      const show = await this.bpftool(['-j', 'prog', 'show', 'id', String(this.progId)])
      const ids = (JSON.parse(show.stdout) as { map_ids?: number[] }).map_ids ?? []
      for (const id of ids) {
        const info = JSON.parse(
          (await this.bpftool(['-j', 'map', 'show', 'id', String(id)])).stdout,
        )
        if ((MAP_NAMES as readonly string[]).includes(info.name)) this.maps.set(info.name, id)
      }
      const missing = MAP_NAMES.filter((n) => !this.maps.has(n))
      if (missing.length) throw new Error(`program ${this.progId} lacks maps ${missing.join(', ')}`)
    } catch (err) {
      await this.detach().catch(() => {})
      if (err instanceof BpfCommandError)
        throw new BpfUnavailableError(`attach classifier on ${this.ifname}: ${err.message}`, {
          cause: err,
        })
      throw err
    }
  }

  private async findProgram(): Promise<number> {
    const out = await this.tc(['-j', 'filter', 'show', 'dev', this.ifname, 'ingress'])
    const filters = JSON.parse(out.stdout || '[]') as {
      pref?: number
      options?: { prog?: { id?: number } }
    }[]
    const ours = filters.find((f) => f.pref === this.pref && f.options?.prog?.id !== undefined)
    const id = ours?.options?.prog?.id
    if (id === undefined) throw new Error(`no bpf program at pref ${this.pref} on ${this.ifname}`)
    return id
  }

  private mapId(name: MapName): number {
    const id = this.maps.get(name)
    if (id === undefined) throw new Error(`classifier is not attached (map ${name})`)
    return id
  }

  /** Writes the tables: only what changed since the last apply, config (generation) last. */
  async apply(tables: ClassifierTables): Promise<{ updates: number; generation: number }> {
    this.appNames = tables.appNames
    const lines: string[] = []
    const want = new Map<MapName, Entry[]>()
    want.set(
      'pt_ports',
      Array.from({ length: MAX_PORT_RULES }, (_, i) => {
        const r = tables.ports[i]
        return { key: u32(i), value: r ? encodePortRule(r.lo, r.hi, r.mask) : Buffer.alloc(16) }
      }),
    )
    want.set(
      'pt_dscp',
      tables.dscp.map((m, i) => ({ key: u32(i), value: u64(m) })),
    )
    want.set(
      'pt_apps',
      tables.apps.map((m, i) => ({ key: u32(i), value: u64(m) })),
    )
    want.set(
      'pt_classes',
      tables.classes.map((c, i) => ({ key: u32(i), value: encodeClass(c.mark, c.dscp, c.lbMode) })),
    )
    want.set(
      'pt_lb',
      tables.lb.map((m, i) => ({ key: u32(i), value: u32(m) })),
    )
    want.set(
      'pt_pfx4',
      tables.prefixes
        .filter((p) => p.family === 4)
        .map((p) => ({ key: encodePrefixKey(p.dir, p.address, p.bits), value: u64(p.mask) })),
    )
    want.set(
      'pt_pfx6',
      tables.prefixes
        .filter((p) => p.family === 6)
        .map((p) => ({ key: encodePrefixKey(p.dir, p.address, p.bits), value: u64(p.mask) })),
    )
    want.set(
      'pt_names',
      tables.names.map((n) => ({ key: encodeNameKey(n.suffix), value: u32(n.app) })),
    )
    const hashLike = new Set<MapName>(['pt_pfx4', 'pt_pfx6', 'pt_names'])
    // Remembered only once bpftool has written them: a failed batch is sent whole again.
    const written = new Map<MapName, Map<string, string>>()
    let updates = 0
    for (const [name, entries] of want) {
      const id = this.mapId(name)
      const before = this.written.get(name) ?? new Map<string, string>()
      const after = new Map<string, string>()
      for (const e of entries) {
        const k = hex(e.key)
        const v = hex(e.value)
        after.set(k, v)
        if (before.get(k) !== v) {
          lines.push(`map update id ${id} key hex ${k} value hex ${v}`)
          updates++
        }
      }
      if (hashLike.has(name)) {
        for (const k of before.keys()) {
          if (!after.has(k)) {
            lines.push(`map delete id ${id} key hex ${k}`)
            updates++
          }
        }
      }
      written.set(name, after)
    }
    this.generation++
    const config = encodeConfig({
      generation: this.generation,
      classMarkBase: tables.classMarkBase,
      tlsApp: 1,
      httpApp: 2,
      sshApp: 3,
      dnsApp: 4,
      sipApp: 5,
      rtpApp: 6,
      rtpPortLo: tables.rtpPorts[0],
      rtpPortHi: tables.rtpPorts[1],
      inspectPackets: tables.inspectPackets,
      portWild: tables.portWild,
      srcWild: tables.srcWild,
      dstWild: tables.dstWild,
      appWild: tables.appWild,
      protoMask: tables.protoMask,
      policyClass: tables.policyClass,
    })
    lines.push(
      `map update id ${this.mapId('pt_config')} key hex ${hex(u32(0))} value hex ${hex(config)}`,
    )
    await this.bpftool(['batch', 'file', '-'], `${lines.join('\n')}\n`)
    for (const [name, after] of written) this.written.set(name, after)
    return { updates: updates + 1, generation: this.generation }
  }

  private async dump(name: MapName): Promise<unknown[]> {
    const out = await this.bpftool(['-j', 'map', 'dump', 'id', String(this.mapId(name))])
    return JSON.parse(out.stdout || '[]') as unknown[]
  }

  /** Per-CPU entries summed over CPUs: index -> values. */
  private async percpu(name: MapName): Promise<Map<number, Buffer[]>> {
    const out = new Map<number, Buffer[]>()
    for (const raw of await this.dump(name)) {
      const e = raw as { key: unknown; values: { value: unknown }[] }
      out.set(
        fromHexList(e.key).readUInt32LE(0),
        e.values.map((v) => fromHexList(v.value)),
      )
    }
    return out
  }

  async counters(): Promise<ClassifierCounters> {
    const stats = Object.fromEntries(STAT_NAMES.map((n) => [n, 0])) as Record<StatName, number>
    for (const [i, values] of await this.percpu('pt_stats')) {
      const n = STAT_NAMES[i]
      if (n) stats[n] = values.reduce((s, v) => s + Number(v.readBigUInt64LE(0)), 0)
    }
    const sum = (values: Buffer[]): Counter => ({
      packets: values.reduce((s, v) => s + Number(v.readBigUInt64LE(0)), 0),
      bytes: values.reduce((s, v) => s + Number(v.readBigUInt64LE(8)), 0),
    })
    const classes: Record<number, Counter> = {}
    let unclassified: Counter = { packets: 0, bytes: 0 }
    for (const [i, values] of await this.percpu('pt_class_stats')) {
      const c = sum(values)
      if (i === MAX_CLASSES) unclassified = c
      else if (c.packets > 0) classes[i] = c
    }
    const applications: Record<string, Counter> = {}
    for (const [i, values] of await this.percpu('pt_app_stats')) {
      const c = sum(values)
      if (c.packets > 0) applications[this.appNames.get(i) ?? `app-${i}`] = c
    }
    return { stats, classes, unclassified, applications }
  }

  async flows(): Promise<FlowEntry[]> {
    return (await this.dump('pt_flows')).map((raw) => {
      const e = raw as { key: unknown; value: unknown }
      return decodeFlow(fromHexList(e.key), fromHexList(e.value))
    })
  }

  /** Removes our filter (and the clsact qdisc if we added it). Idempotent. */
  async detach(): Promise<void> {
    await this.tc([
      'filter',
      'del',
      'dev',
      this.ifname,
      'ingress',
      'pref',
      String(this.pref),
    ]).catch(() => {})
    if (this.createdQdisc) {
      await this.tc(['qdisc', 'del', 'dev', this.ifname, 'clsact']).catch(() => {})
      this.createdQdisc = false
    }
    this.progId = undefined
    this.maps.clear()
    this.written.clear()
  }
}
