/**
 * Per-uplink egress shaping with HTB. Each traffic class gets an HTB class 1:(0x10 + c) with
 * its rate, ceil, burst and priority; the class is chosen by the skb mark the LAN classifier
 * set (0x7300 + c) through a stateless bpf filter (bpf/qos.c): this kernel has no `fw`
 * classifier, and u32's `match mark` is accepted but ignored (docs/qos.md). Unmarked traffic
 * falls into the default class 1:0xff. No fq/fq_codel/sfq exists here, so the leaves stay pfifo.
 */
import { type CommandRunner, execRunner, tcArgs } from '../bpf/exec'

export interface QosClass {
  classId: number
  rateMbit: number
  ceilMbit?: number
  /** 0 is served first when classes borrow. */
  prio?: number
  burstBytes?: number
}

export interface QosSpec {
  ifname: string
  netns?: string
  /** Uplink capacity: the root class. */
  rateMbit: number
  classes: QosClass[]
  /** Guaranteed rate of unmarked traffic. */
  defaultRateMbit?: number
  /** bpf/build/qos.o */
  objectPath: string
}

export const DEFAULT_HTB_MINOR = 0xff

export function htbMinor(classId: number): number {
  return 0x10 + classId
}

/** The tc commands (argument lists) that build the tree; pure. */
export function htbPlan(spec: QosSpec): string[][] {
  const dev = spec.ifname
  const cmds: string[][] = [
    [
      'qdisc',
      'replace',
      'dev',
      dev,
      'root',
      'handle',
      '1:',
      'htb',
      'default',
      DEFAULT_HTB_MINOR.toString(16),
    ],
    [
      'class',
      'replace',
      'dev',
      dev,
      'parent',
      '1:',
      'classid',
      '1:1',
      'htb',
      'rate',
      `${spec.rateMbit}mbit`,
      'ceil',
      `${spec.rateMbit}mbit`,
    ],
  ]
  const dflt = spec.defaultRateMbit ?? Math.max(1, Math.floor(spec.rateMbit / 10))
  cmds.push([
    'class',
    'replace',
    'dev',
    dev,
    'parent',
    '1:1',
    'classid',
    `1:${DEFAULT_HTB_MINOR.toString(16)}`,
    'htb',
    'rate',
    `${dflt}mbit`,
    'ceil',
    `${spec.rateMbit}mbit`,
    'prio',
    '7',
  ])
  for (const c of spec.classes) {
    const minor = htbMinor(c.classId).toString(16)
    const args = [
      'class',
      'replace',
      'dev',
      dev,
      'parent',
      '1:1',
      'classid',
      `1:${minor}`,
      'htb',
      'rate',
      `${c.rateMbit}mbit`,
      'ceil',
      `${c.ceilMbit ?? spec.rateMbit}mbit`,
      'prio',
      String(c.prio ?? 3),
    ]
    if (c.burstBytes) args.push('burst', String(c.burstBytes))
    cmds.push(args)
  }
  // One stateless bpf filter maps class marks to HTB classes (bpf/qos.c).
  cmds.push([
    'filter',
    'replace',
    'dev',
    dev,
    'parent',
    '1:',
    'protocol',
    'all',
    'pref',
    '1',
    'handle',
    '1',
    'bpf',
    'obj',
    spec.objectPath,
    'sec',
    'tc',
  ])
  return cmds
}

export async function applyQos(spec: QosSpec, run: CommandRunner = execRunner): Promise<void> {
  for (const args of htbPlan(spec)) {
    const [cmd, a] = tcArgs(spec.netns, args)
    await run(cmd, a)
  }
}

/** Removes the HTB root (and with it every class and filter). Idempotent. */
export async function removeQos(
  ifname: string,
  netns?: string,
  run: CommandRunner = execRunner,
): Promise<void> {
  const [cmd, a] = tcArgs(netns, ['qdisc', 'del', 'dev', ifname, 'root'])
  await run(cmd, a).catch(() => {})
}
