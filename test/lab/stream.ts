/**
 * A LAN-to-LAN UDP stream through the mesh (udp-stream.ts run in the two LAN host
 * namespaces) and its analysis: the outage is the longest gap between consecutive
 * arrivals, packets lost are the sequence numbers never received.
 */
import { fileURLToPath } from 'node:url'
import type { Lab, LabSite } from './harness'

const SCRIPT = fileURLToPath(new URL('./udp-stream.ts', import.meta.url))
export const STREAM_PORT = 5999

export interface StreamResult {
  sent: number
  received: number
  lost: number
  /** Longest gap between consecutive arrivals, ms, and when it started (epoch ms). */
  maxGapMs: number
  maxGapAt: number
  arrivals: [number, number][]
}

export function analyse(arrivals: [number, number][], sent: number): StreamResult {
  const sorted = [...arrivals].sort((x, y) => x[0] - y[0])
  let maxGapMs = 0
  let maxGapAt = sorted[0]?.[0] ?? 0
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i]?.[0] ?? 0) - (sorted[i - 1]?.[0] ?? 0)
    if (gap > maxGapMs) {
      maxGapMs = gap
      maxGapAt = sorted[i - 1]?.[0] ?? 0
    }
  }
  const unique = new Set(arrivals.map((x) => x[1])).size
  return { sent, received: unique, lost: Math.max(0, sent - unique), maxGapMs, maxGapAt, arrivals }
}

/** Gaps longer than `minMs` (e.g. to count outages in a flapping run). */
export function gapsOver(
  arrivals: [number, number][],
  minMs: number,
): { at: number; ms: number }[] {
  const sorted = [...arrivals].sort((x, y) => x[0] - y[0])
  const out: { at: number; ms: number }[] = []
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i]?.[0] ?? 0) - (sorted[i - 1]?.[0] ?? 0)
    if (gap > minMs) out.push({ at: sorted[i - 1]?.[0] ?? 0, ms: gap })
  }
  return out
}

/**
 * Starts the receiver in `to`'s LAN host, then the sender in `from`'s; resolves when the
 * receiver has printed its arrivals (after durationMs). Both processes are lab processes:
 * killed at lab destroy whatever happens.
 */
export async function runStream(
  lab: Lab,
  from: LabSite,
  to: LabSite,
  pps: number,
  durationMs: number,
): Promise<{ started: number; done: Promise<StreamResult> }> {
  const recv = lab.spawnIn(to.hostNs, 'udp recv', process.execPath, [
    '--import',
    'tsx',
    SCRIPT,
    'recv',
    to.lanHost,
    String(STREAM_PORT),
    String(durationMs + 1500),
  ])
  let out = ''
  recv.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  const deadline = Date.now() + 15_000
  while (!out.includes('ready')) {
    if (Date.now() > deadline || recv.child.exitCode !== null) {
      throw new Error(`udp receiver did not start: ${out}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const send = lab.spawnIn(from.hostNs, 'udp send', process.execPath, [
    '--import',
    'tsx',
    SCRIPT,
    'send',
    to.lanHost,
    String(STREAM_PORT),
    String(pps),
    String(durationMs),
  ])
  const started = Date.now()
  const done = new Promise<StreamResult>((resolve, reject) => {
    recv.child.once('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (!line) return reject(new Error(`udp receiver printed nothing: ${out.slice(0, 200)}`))
      const parsed = JSON.parse(line) as { arrivals: [number, number][]; maxSeq: number }
      // The stream ends on a working path, so the last sequence number seen is the count sent.
      resolve(analyse(parsed.arrivals, parsed.maxSeq + 1))
    })
  })
  void send
  return { started, done }
}
