/**
 * The running agent's flow table in a lab site: found through the classifier program that
 * tc shows on the site's LAN interface (its map ids), then dumped with bpftool inside the
 * site's namespace (bpftool resolves ids in the caller's namespace: docs/lab.md).
 */
import { decodeFlow, type FlowEntry, fromHexList } from '../../agent/bpf'
import { run } from './exec'
import type { Lab } from './harness'

export async function classifierFlows(lab: Lab, ns: string): Promise<FlowEntry[]> {
  const filters = JSON.parse(
    (await lab.exec(ns, 'tc', ['-j', 'filter', 'show', 'dev', lab.names.lanIf, 'ingress'])).stdout,
  ) as { options?: { prog?: { id?: number } } }[]
  const progId = filters.find((f) => f.options?.prog?.id)?.options?.prog?.id
  if (progId === undefined) throw new Error('no classifier on the LAN interface')
  const bpftool = (args: string[]) =>
    run('nsenter', [`--net=/var/run/netns/${ns}`, 'bpftool', '-j', ...args])
  const prog = JSON.parse((await bpftool(['prog', 'show', 'id', String(progId)])).stdout) as {
    map_ids: number[]
  }
  for (const id of prog.map_ids) {
    const info = JSON.parse((await bpftool(['map', 'show', 'id', String(id)])).stdout)
    if (info.name !== 'pt_flows') continue
    const dump = JSON.parse((await bpftool(['map', 'dump', 'id', String(id)])).stdout) as {
      key: unknown
      value: unknown
    }[]
    return dump.map((e) => decodeFlow(fromHexList(e.key), fromHexList(e.value)))
  }
  throw new Error('no pt_flows map')
}
