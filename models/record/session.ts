/**
 * One recording session in a lab that the caller built (two sites, one uplink each): starts
 * the agent's QualityResponder (site 1), QualityProber (site 0, through probe-child.ts) and BFD
 * on both ends, plays the scenarios on site 0's uplink one after the other, and returns one
 * trace per scenario. Everything it starts runs under the lab's process registry, so the
 * lab's destroy() stops it on every exit path. Used by `npm run models:record` and its lab test.
 */
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, sleep } from '../../test/lab/exec.ts'
import type { Lab, LabProcess } from '../../test/lab/harness.ts'
import type { Trace } from '../trace/format.ts'
import { buildTrace, type Collected } from './build-trace.ts'
import type { Scenario } from './scenarios.ts'

const here = dirname(fileURLToPath(import.meta.url))
const PROBE_CHILD = join(here, 'probe-child.ts')
const BFD_CHILD = join(here, '..', '..', 'test', 'lab', 'bfd-child.ts')
const FLOOD = join(here, '..', '..', 'bench', 'predict', 'flood.ts')
const PROBE_PORT = 4799
const INTERVAL_MS = 50
const QUEUE_RATE_KBIT = 2_000
const FLOOD_KBIT = 2_150

/** Collects JSON lines from a child; resolves when it printed `ready`. */
function listen(
  proc: LabProcess,
  onLine: (m: Record<string, unknown>) => void,
  log: (m: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`${proc.name}: not ready in 15 s`)), 15_000)
    proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffer += d
      let nl = buffer.indexOf('\n')
      while (nl >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        nl = buffer.indexOf('\n')
        let m: Record<string, unknown>
        try {
          m = JSON.parse(line) as Record<string, unknown>
        } catch {
          continue
        }
        if (m.ready === true || m.type === 'ready') {
          clearTimeout(timer)
          resolve()
        }
        if (typeof m.error === 'string') log(`${proc.name}: ${m.error}`)
        onLine(m)
      }
    })
    proc.child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${proc.name} exited (${code})`))
    })
  })
}

const node = (script: string, arg: unknown) => ['--import', 'tsx', script, JSON.stringify(arg)]

async function playScenario(
  lab: Lab,
  s: Scenario,
  t0: number,
  log: (m: string) => void,
): Promise<void> {
  const uplink = lab.uplink(0, 0)
  let flood: LabProcess | undefined
  try {
    for (const step of s.steps) {
      await sleep(Math.max(0, t0 + step.atMs - Date.now()))
      if (step.queue === false && flood) {
        await lab.stop(flood.pid)
        flood = undefined
      }
      if (step.impair) await lab.impair(0, 0, step.impair)
      if (step.queue === true) {
        // A deep tbf queue on the WAN side and a flood 7.5% over its rate: the delay of
        // everything behind it (probe replies, BFD) grows by ~75 ms per second.
        await run('tc', [
          ...['-n', lab.wanNs, 'qdisc', 'replace', 'dev', uplink.wanIfname, 'root', 'tbf'],
          ...['rate', `${QUEUE_RATE_KBIT}kbit`, 'burst', '4000', 'latency', '2000ms'],
        ])
        flood = lab.spawnIn(lab.wanNs, 'flood', process.execPath, [
          ...['--import', 'tsx', FLOOD, uplink.address, '9', String(FLOOD_KBIT), '1000'],
          String(s.durationMs),
        ])
      }
      log(`${s.name} +${step.atMs / 1000}s: ${JSON.stringify(step)}`)
    }
    await sleep(Math.max(0, t0 + s.durationMs - Date.now()))
  } finally {
    if (flood) await lab.stop(flood.pid)
    await lab.impair(0, 0, {})
  }
}

export interface RecordOptions {
  log?: (message: string) => void
  /** Probing before the first scenario (BFD comes up, the prober settles). */
  warmupMs?: number
  /** Pause between scenarios; the last one's late replies arrive in it. */
  gapMs?: number
}

export async function recordScenarios(
  lab: Lab,
  scenarios: readonly Scenario[],
  options: RecordOptions = {},
): Promise<Trace[]> {
  const log = options.log ?? (() => {})
  const collected: Collected = { sends: new Map(), replies: new Map(), bfd: [] }
  const a = lab.uplink(0, 0).address
  const b = lab.uplink(1, 0).address
  const keyHex = randomBytes(32).toString('hex')
  const spawn = (ns: string, name: string, script: string, arg: unknown) =>
    lab.spawnIn(ns, name, process.execPath, node(script, arg))
  const responder = spawn(lab.site(1).ns, 'responder', PROBE_CHILD, {
    mode: 'responder',
    keyHex,
    address: b,
    port: PROBE_PORT,
  })
  await listen(responder, () => {}, log)
  const bfdArgs = { intervalMs: INTERVAL_MS, detectMult: 3 }
  const bfd1 = spawn(lab.site(1).ns, 'bfd 1', BFD_CHILD, {
    localAddress: b,
    peerAddress: a,
    ...bfdArgs,
  })
  await listen(bfd1, () => {}, log)
  const bfd0 = spawn(lab.site(0).ns, 'bfd 0', BFD_CHILD, {
    localAddress: a,
    peerAddress: b,
    ...bfdArgs,
  })
  await listen(
    bfd0,
    (m) => {
      if (m.type === 'state') collected.bfd.push({ at: Number(m.wall), up: m.to === 'Up' })
    },
    log,
  )
  const prober = spawn(lab.site(0).ns, 'prober', PROBE_CHILD, {
    mode: 'prober',
    keyHex,
    address: a,
    remoteAddress: b,
    port: PROBE_PORT,
    intervalMs: INTERVAL_MS,
  })
  await listen(
    prober,
    (m) => {
      if (typeof m.s === 'number') collected.sends.set(m.s, Number(m.t))
      if (typeof m.r === 'number' && !collected.replies.has(m.r))
        collected.replies.set(m.r, Number(m.t))
    },
    log,
  )
  await sleep(options.warmupMs ?? 3_000)
  const starts: number[] = []
  for (const s of scenarios) {
    const t0 = Date.now()
    starts.push(t0)
    log(`${s.name}: ${s.durationMs / 1000} s`)
    await playScenario(lab, s, t0, log)
    await sleep(options.gapMs ?? 5_000)
  }
  return scenarios.map((s, k) => buildTrace(s, starts[k]!, collected))
}
