/**
 * The trace format of the failure predictor (documented in models/README.md): one directory,
 * and per path `<name>.csv` (one row per probe: `t_ms,seq,rtt_ms`, rtt empty when lost),
 * `<name>.events.csv` (labelled intervals: `start_ms,end_ms,kind,cause`) and optionally
 * `<name>.bfd.csv` (BFD transitions: `t_ms,state`). The generator and the lab recorder write
 * it; the export, the training and `npm run bench:predict -- --traces DIR` read it, so an
 * operator can evaluate the model on traces of their own network.
 *
 * The reader is strict: any malformed line is a `TraceFormatError` naming the file and line,
 * because a silently skipped row would shift every label after it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TraceProbe {
  /** When the probe was SENT, ms from any origin shared by the trace's files. */
  tMs: number
  seq: number
  /** Round-trip time in ms, null when no reply came. */
  rttMs: number | null
}

/** failure: the path is down or loses >= 50%; sla: it violates the SLA (latency or loss). */
export type EventKind = 'failure' | 'sla'
/**
 * precursor: the degradation was visible in the probes before the start (RTT ramp, rising
 * loss, earlier flaps), so a model can be asked to predict it; abrupt: nothing announced it;
 * unknown: labels derived from the probes alone (operator traces without an events file).
 */
export type EventCause = 'precursor' | 'abrupt' | 'unknown'

export interface TraceEvent {
  startMs: number
  endMs: number
  kind: EventKind
  cause: EventCause
}

export interface BfdTransition {
  tMs: number
  up: boolean
}

export interface Trace {
  name: string
  probes: TraceProbe[]
  events: TraceEvent[]
  /** null when the trace has no BFD file (replay derives BFD from the probes then). */
  bfd: BfdTransition[] | null
}

export class TraceFormatError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`trace ${file}:${line}: ${message}`)
    this.name = 'TraceFormatError'
  }
}

const PROBE_HEADER = 't_ms,seq,rtt_ms'
const EVENT_HEADER = 'start_ms,end_ms,kind,cause'
const BFD_HEADER = 't_ms,state'
const KINDS: readonly string[] = ['failure', 'sla']
const CAUSES: readonly string[] = ['precursor', 'abrupt', 'unknown']

/** Lines of a CSV file with its header checked; blank trailing lines are allowed. */
function rows(file: string, text: string, header: string): { line: number; cells: string[] }[] {
  const lines = text.split(/\r?\n/)
  while (lines.length > 0 && lines.at(-1) === '') lines.pop()
  if (lines[0]?.trim() !== header) {
    throw new TraceFormatError(file, 1, `expected header "${header}", got "${lines[0] ?? ''}"`)
  }
  const out: { line: number; cells: string[] }[] = []
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',')
    const want = header.split(',').length
    if (cells.length !== want) {
      throw new TraceFormatError(file, i + 1, `expected ${want} fields, got ${cells.length}`)
    }
    out.push({ line: i + 1, cells })
  }
  return out
}

function num(file: string, line: number, field: string, cell: string): number {
  // Number('') is 0 and Number(' 1') is 1: insist on a plain decimal.
  if (!/^-?\d+(\.\d+)?$/.test(cell)) {
    throw new TraceFormatError(file, line, `${field} is not a number: "${cell}"`)
  }
  return Number(cell)
}

export function parseProbes(file: string, text: string): TraceProbe[] {
  const probes: TraceProbe[] = []
  let lastT = Number.NEGATIVE_INFINITY
  for (const { line, cells } of rows(file, text, PROBE_HEADER)) {
    const [t, seq, rtt] = cells as [string, string, string]
    const tMs = num(file, line, 't_ms', t)
    if (tMs < lastT)
      throw new TraceFormatError(file, line, `t_ms goes backwards (${tMs} < ${lastT})`)
    lastT = tMs
    const s = num(file, line, 'seq', seq)
    if (!Number.isInteger(s) || s < 0) {
      throw new TraceFormatError(file, line, `seq must be a non-negative integer: "${seq}"`)
    }
    let rttMs: number | null = null
    if (rtt !== '') {
      rttMs = num(file, line, 'rtt_ms', rtt)
      if (rttMs < 0) throw new TraceFormatError(file, line, `rtt_ms is negative: ${rttMs}`)
    }
    probes.push({ tMs, seq: s, rttMs })
  }
  return probes
}

export function parseEvents(file: string, text: string): TraceEvent[] {
  return rows(file, text, EVENT_HEADER).map(({ line, cells }) => {
    const [start, end, kind, cause] = cells as [string, string, string, string]
    const startMs = num(file, line, 'start_ms', start)
    const endMs = num(file, line, 'end_ms', end)
    if (!(endMs > startMs)) throw new TraceFormatError(file, line, 'end_ms must be after start_ms')
    if (!KINDS.includes(kind)) throw new TraceFormatError(file, line, `unknown kind "${kind}"`)
    if (!CAUSES.includes(cause)) throw new TraceFormatError(file, line, `unknown cause "${cause}"`)
    return { startMs, endMs, kind: kind as EventKind, cause: cause as EventCause }
  })
}

export function parseBfd(file: string, text: string): BfdTransition[] {
  let lastT = Number.NEGATIVE_INFINITY
  return rows(file, text, BFD_HEADER).map(({ line, cells }) => {
    const [t, state] = cells as [string, string]
    const tMs = num(file, line, 't_ms', t)
    if (tMs < lastT)
      throw new TraceFormatError(file, line, `t_ms goes backwards (${tMs} < ${lastT})`)
    lastT = tMs
    if (state !== 'up' && state !== 'down') {
      throw new TraceFormatError(file, line, `state must be up or down: "${state}"`)
    }
    return { tMs, up: state === 'up' }
  })
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(3))

export function formatProbes(probes: readonly TraceProbe[]): string {
  const lines = [PROBE_HEADER]
  for (const p of probes)
    lines.push(`${fmt(p.tMs)},${p.seq},${p.rttMs === null ? '' : fmt(p.rttMs)}`)
  return `${lines.join('\n')}\n`
}

export function formatEvents(events: readonly TraceEvent[]): string {
  const lines = [EVENT_HEADER]
  for (const e of events) lines.push(`${fmt(e.startMs)},${fmt(e.endMs)},${e.kind},${e.cause}`)
  return `${lines.join('\n')}\n`
}

export function formatBfd(bfd: readonly BfdTransition[]): string {
  const lines = [BFD_HEADER]
  for (const b of bfd) lines.push(`${fmt(b.tMs)},${b.up ? 'up' : 'down'}`)
  return `${lines.join('\n')}\n`
}

export function writeTrace(dir: string, trace: Trace): void {
  writeFileSync(join(dir, `${trace.name}.csv`), formatProbes(trace.probes))
  writeFileSync(join(dir, `${trace.name}.events.csv`), formatEvents(trace.events))
  if (trace.bfd) writeFileSync(join(dir, `${trace.name}.bfd.csv`), formatBfd(trace.bfd))
}

const readIfExists = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Reads one trace; without an events file, events is empty and `hasEvents` says so. */
export function readTrace(dir: string, name: string): Trace & { hasEvents: boolean } {
  const probeFile = `${name}.csv`
  const probes = parseProbes(probeFile, readFileSync(join(dir, probeFile), 'utf8'))
  const eventsText = readIfExists(join(dir, `${name}.events.csv`))
  const bfdText = readIfExists(join(dir, `${name}.bfd.csv`))
  return {
    name,
    probes,
    events: eventsText === null ? [] : parseEvents(`${name}.events.csv`, eventsText),
    bfd: bfdText === null ? null : parseBfd(`${name}.bfd.csv`, bfdText),
    hasEvents: eventsText !== null,
  }
}

/** Names of the traces in a directory: every `X.csv` that is not `X.events.csv`/`X.bfd.csv`. */
export function listTraces(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv') && !f.endsWith('.events.csv') && !f.endsWith('.bfd.csv'))
    .map((f) => f.slice(0, -'.csv'.length))
    .sort()
}
