/**
 * Measurements inside the classifier lab's namespaces, each bounded by a timeout: ping RTT
 * samples, iperf3 TCP throughput, an iperf3 UDP flood of small packets, and the machine's
 * CPU busy share over a phase (how much of the 2 cores other work took).
 */
import { readFileSync } from 'node:fs'
import { nsExec } from '../../test/lab/exec'

export async function pingSamples(
  ns: string,
  target: string,
  count: number,
  intervalS: string,
): Promise<number[]> {
  const args = ['-n', '-c', String(count), '-i', intervalS, '-W', '1', target]
  const timeoutMs = count * Number(intervalS) * 1000 + 15_000
  const res = await nsExec(ns, 'ping', args, { timeoutMs, allowFail: true })
  const samples: number[] = []
  for (const line of res.stdout.split('\n')) {
    const m = /time=([\d.]+) ms/.exec(line)
    if (m?.[1]) samples.push(Number(m[1]))
  }
  if (samples.length === 0) throw new Error(`ping ${target} from ${ns}: no reply\n${res.stdout}`)
  return samples
}

export interface TcpRun {
  mbitPerSecond: number
  retransmits: number
}

interface IperfReport {
  error?: string
  end?: {
    sum_received?: { bits_per_second?: number }
    sum_sent?: { retransmits?: number }
    sum?: { packets?: number; lost_packets?: number; seconds?: number }
  }
}

async function iperfJson(ns: string, args: string[], seconds: number): Promise<IperfReport> {
  const res = await nsExec(ns, 'iperf3', args, {
    timeoutMs: seconds * 1000 + 20_000,
    allowFail: true,
  })
  let report: IperfReport
  try {
    report = JSON.parse(res.stdout) as IperfReport
  } catch {
    throw new Error(`iperf3 ${args.join(' ')}: no JSON (exit ${res.code}) ${res.stderr}`)
  }
  if (report.error) throw new Error(`iperf3 ${args.join(' ')}: ${report.error}`)
  return report
}

export async function iperfTcp(ns: string, target: string, seconds: number): Promise<TcpRun> {
  const r = await iperfJson(
    ns,
    ['-c', target, '-t', String(seconds), '-J', '--connect-timeout', '3000'],
    seconds,
  )
  const bps = r.end?.sum_received?.bits_per_second
  if (bps === undefined) throw new Error(`iperf3 -> ${target}: no receiver summary`)
  return {
    mbitPerSecond: Math.round(bps / 1e5) / 10,
    retransmits: r.end?.sum_sent?.retransmits ?? 0,
  }
}

/** Unlimited-rate UDP of `length`-byte payloads; returns what the sender says it sent. */
export async function udpFlood(
  ns: string,
  target: string,
  seconds: number,
  length: number,
): Promise<{ sent: number; seconds: number }> {
  const r = await iperfJson(
    ns,
    [
      '-c',
      target,
      '-u',
      '-b',
      '0',
      '-l',
      String(length),
      '-t',
      String(seconds),
      '-J',
      '--connect-timeout',
      '3000',
    ],
    seconds,
  )
  return { sent: r.end?.sum?.packets ?? 0, seconds: r.end?.sum?.seconds ?? seconds }
}

/** Cumulative CPU jiffies of the whole machine: [busy, total]. */
export function cpuJiffies(): [number, number] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  return [total - idle, total]
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

export interface RttStats {
  count: number
  lost: number
  minUs: number
  p50Us: number
  avgUs: number
  p99Us: number
  maxUs: number
}

export function rttStats(samplesMs: number[], sent: number): RttStats {
  const us = samplesMs.map((x) => Math.round(x * 1000)).sort((a, b) => a - b)
  return {
    count: us.length,
    lost: sent - us.length,
    minUs: us[0] ?? Number.NaN,
    p50Us: percentile(us, 50),
    avgUs: Math.round(us.reduce((a, b) => a + b, 0) / Math.max(1, us.length)),
    p99Us: percentile(us, 99),
    maxUs: us.at(-1) ?? Number.NaN,
  }
}
