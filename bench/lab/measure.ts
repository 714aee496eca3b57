/**
 * Data-plane measurements between two lab LAN hosts: ping RTT (per-packet samples, so
 * percentiles, not only ping's average) and iperf3 TCP throughput (JSON output). Both run
 * inside lab namespaces through the harness, bounded by timeouts.
 */
import type { Lab } from '../../test/lab/harness'

export interface RttStats {
  count: number
  lost: number
  minMs: number
  p50Ms: number
  avgMs: number
  p99Ms: number
  maxMs: number
}

export interface ThroughputStats {
  seconds: number
  /** Receiver-side goodput. */
  mbitPerSecond: number
  retransmits: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

export function rttStats(samples: number[], sent: number): RttStats {
  const sorted = [...samples].sort((a, b) => a - b)
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    count: sorted.length,
    lost: sent - sorted.length,
    minMs: round3(sorted[0] ?? Number.NaN),
    p50Ms: round3(percentile(sorted, 50)),
    avgMs: round3(sum / Math.max(1, sorted.length)),
    p99Ms: round3(percentile(sorted, 99)),
    maxMs: round3(sorted.at(-1) ?? Number.NaN),
  }
}

/** `count` echo requests every `intervalS`; returns per-packet RTTs in ms. */
export async function pingSamples(
  lab: Lab,
  ns: string,
  target: string,
  options: { count: number; intervalS: string; source?: string },
): Promise<number[]> {
  const args = ['-n', '-c', String(options.count), '-i', options.intervalS, '-W', '1']
  if (options.source) args.push('-I', options.source)
  args.push(target)
  const timeoutMs = options.count * Number(options.intervalS) * 1000 + 15_000
  const res = await lab.exec(ns, 'ping', args, timeoutMs)
  const samples: number[] = []
  for (const line of res.stdout.split('\n')) {
    const m = /time=([\d.]+) ms/.exec(line)
    if (m?.[1]) samples.push(Number(m[1]))
  }
  if (samples.length === 0) throw new Error(`ping ${target} from ${ns}: no reply\n${res.stdout}`)
  return samples
}

export async function iperf3(
  lab: Lab,
  ns: string,
  target: string,
  options: { seconds: number; source?: string },
): Promise<ThroughputStats> {
  const args = ['-c', target, '-t', String(options.seconds), '-J', '--connect-timeout', '3000']
  if (options.source) args.push('-B', options.source)
  const res = await lab.exec(ns, 'iperf3', args, options.seconds * 1000 + 20_000)
  let report: {
    error?: string
    end?: { sum_received?: { bits_per_second?: number }; sum_sent?: { retransmits?: number } }
  }
  try {
    report = JSON.parse(res.stdout)
  } catch {
    throw new Error(`iperf3 -> ${target}: no JSON (exit ${res.code}) ${res.stderr}`)
  }
  if (report.error) throw new Error(`iperf3 -> ${target}: ${report.error}`)
  const bps = report.end?.sum_received?.bits_per_second
  if (bps === undefined) throw new Error(`iperf3 -> ${target}: no receiver summary`)
  return {
    seconds: options.seconds,
    mbitPerSecond: Math.round(bps / 1e5) / 10,
    retransmits: report.end?.sum_sent?.retransmits ?? 0,
  }
}
