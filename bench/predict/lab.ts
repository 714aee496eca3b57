/**
 * Predictive vs reactive failover in the WAN lab: 2 sites x 2 uplinks, the real
 * control plane (serving the shipped model) and the real agents (bench/failover/setup.ts),
 * a 1,000 packets/s UDP stream from LAN host 0 to LAN host 1 in a policy class with an SLA,
 * and on the uplink carrying it a degradation with a precursor, then a cut:
 *
 * - precursor: a queue build-up. A tbf (RATE_KBIT) on the WAN router's side of the uplink
 *   and a constant-rate flood a little over that rate (FLOOD_KBIT) from the WAN router to
 *   the site: the queue, and with it the delay of everything behind it (quality-probe
 *   replies, BFD), grows by tens of ms per second. A real queue, because the lab's delay
 *   relay only handles WireGuard ports and probes never see it (bench/failover.ts). The
 *   stream itself flows the other way and is not delayed: the precursor costs no packets.
 * - cut: CUT_AFTER_MS later the uplink is blackholed (nftables, both directions).
 *
 * Run once with the class's `predictive: true` (the predictor flags the path and the class
 * moves before the cut) and once with `predictive: false` (reactive: it stays until BFD sees
 * the cut; its SLA, loss <= 1%, is not broken by delay). Same agents, same model loaded;
 * only the policy differs. The predictive run goes first, from a lab whose paths never
 * flapped: a path cut and restored seconds ago is still flagged (BFD flap features), and
 * with every other path flagged the class rightly stays where it is. Packets lost =
 * sequence numbers never received.
 *
 * The class prefers lowest-cost (equal here; latency weighs 0.01 per ms and a voluntary move
 * needs a gain over MIN_GAIN = 2, i.e. ~200 ms more RTT), and the cut comes CUT_AFTER_MS into
 * the ramp, before the RTT gets there. That is the window prediction is for: a precursor the
 * reactive rules do not act on yet. With highest-bandwidth (0.1 per ms: 20 ms) or
 * lowest-latency, or a latency bound in the SLA, the reactive engine leaves the path during
 * the ramp by itself (measured: after ~0.8 s with highest-bandwidth).
 */
import { fileURLToPath } from 'node:url'
import { run, sleep } from '../../test/lab/exec'
import type { LabProcess } from '../../test/lab/harness'
import { gapsOver, runStream, STREAM_PORT } from '../../test/lab/stream'
import { startFailoverLab } from '../failover/setup'

const FLOOD_SCRIPT = fileURLToPath(new URL('./flood.ts', import.meta.url))
const PPS = 1000
const RATE_KBIT = 4_000
const FLOOD_KBIT = Number(process.env.PREDICT_LAB_FLOOD_KBIT ?? 4_050)
const QUEUE_LIMIT_MS = 2_000
const PRE_MS = 2_000
const CUT_AFTER_MS = Number(process.env.PREDICT_LAB_CUT_AFTER_MS ?? 4_500)
/**
 * History the paths get (from BFD Up) before the first run. pathfail-mlp-v1 needed the full
 * 60 s window (P <= 0.35 on a ramp to 270 ms 15 s after start, 0.9975 a minute later: it had
 * never seen a filling window with a precursor); pathfail-mlp-v2 trained on incidents 5-15 s
 * after start and reads partial windows, so 15 s is enough: a clean baseline for the ramp to
 * rise over (PREDICT_LAB_HISTORY_MS overrides, to measure other warm-up lengths).
 */
const HISTORY_MS = Number(process.env.PREDICT_LAB_HISTORY_MS ?? 15_000)
const POST_MS = 2_500
/** The policy's table: the first (only) policy class gets classTableBase + 0. */
const CLASS_TABLE = 7300
const METRICS_URL = 'http://127.0.0.1:9469/metrics'
/**
 * PREDICT_LAB_PRECURSOR=loss: instead of the queue, loss rising by LOSS_STEP_PCT every second
 * (nftables, each way) before the cut: a measurement of what the model makes of a loss ramp
 * (it also breaks the class's 1% SLA, so the reactive engine moves on it too).
 */
const PRECURSOR = process.env.PREDICT_LAB_PRECURSOR === 'loss' ? 'loss' : 'queue'
const LOSS_STEP_PCT = Number(process.env.PREDICT_LAB_LOSS_STEP_PCT ?? 2)

export interface PredictiveRun {
  mode: 'reactive' | 'predictive'
  slot: number
  lost: number
  sent: number
  maxGapMs: number
  /** ms from the last BFD Up on site 0 (the newest path's start) to the ramp start. */
  historyMs: number
  /** ms from the start of the ramp to the class's move (null: it never moved). */
  movedAfterMs: number | null
  moveReason: string | null
  /** ms from the ramp start to the first flag on a path of the degraded uplink. */
  firstFlagAfterMs: number | null
  /** Highest P on the degraded uplink's paths before the cut, sampled every ~250 ms. */
  maxProbabilityBeforeCut: number | null
  /** RTT (ms) the agent saw on the degraded uplink just before the cut. */
  rttBeforeCutMs: number | null
  /** ms from the ramp start to the first BFD Down on the degraded uplink, and its diagnostic. */
  bfdDownAfterMs: number | null
  bfdDownDiag: string | null
  /** Gaps over 40 ms in the stream's arrivals: ms after the ramp start, and length. */
  gaps: { atMs: number; ms: number }[]
  /** The class's path decisions on site 0 during the run (ms after the ramp start). */
  decisions: { atMs: number; event: string; reason: string; from: string; to: string }[]
}

export interface PredictiveLabResult {
  lostReactive: number
  lostPredictive: number
  reactive: PredictiveRun
  predictive: PredictiveRun
  /** path.predicted_degradation events the control plane stored for site 0. */
  predictedDegradationEvents: number
  modelId: string | null
  setup: Record<string, unknown>
}

export async function measurePredictiveLab(
  options: { log?: (message: string) => void; agentLogLevel?: string } = {},
): Promise<PredictiveLabResult> {
  const log = options.log ?? (() => {})
  // BFD as the control plane serves it (100 ms x 3, 300 ms detection), not the lab's 50 x 3:
  // the flood and five busy neighbours on two cores stall event loops past 150 ms now and
  // then, and a spontaneous BFD flap before the cut would move the reactive run early.
  // PREDICT_LAB_TRACE=<file prefix>: the agents log every round's features (trace level) and
  // each run's are written to <prefix>-<mode>.json, to see what the model saw.
  const logLevel = options.agentLogLevel ?? (process.env.PREDICT_LAB_TRACE ? 'trace' : 'info')
  const f = await startFailoverLab({ logLevel, bfdArgs: [] })
  const { lab, cp } = f
  const site0 = lab.site(0)
  const site1 = lab.site(1)
  let flood: LabProcess | undefined
  try {
    const agent0 = f.agents[0]!
    await waitFor('both agents to load the model', 30_000, async () =>
      f.agents.every((a) => a.has('model loaded: predictive failover on')) ? true : undefined,
    ).catch((error: Error) => {
      const refused = agent0.entries().find((e) => e.msg.startsWith('model refused'))
      throw new Error(`${error.message}${refused ? `: ${JSON.stringify(refused)}` : ''}`)
    })
    const modelId = String(agent0.entries().find((e) => e.msg.startsWith('model loaded'))?.model)
    const lastUp = Math.max(
      ...agent0
        .entries()
        .filter((e) => e.msg === 'bfd state' && e.to === 'Up')
        .map((e) => Number(e.time)),
    )

    const policy = await cp.api('POST', '/v1/policies', {
      name: 'sla-stream',
      priority: 10,
      match: { protocols: ['udp'], ports: [STREAM_PORT] },
      action: { preference: 'lowest-cost', sla: { maxLossPct: 1 }, predictive: true },
    })
    if (policy.status !== 201) throw new Error(`create policy: ${JSON.stringify(policy.body)}`)
    const policyId = String(policy.body.id)
    await waitFor('the class route on site 0', 20_000, () => classSlot())

    async function classSlot(): Promise<number | undefined> {
      const res = await lab.exec(site0.ns, 'ip', ['-j', 'route', 'show', 'table', `${CLASS_TABLE}`])
      if (res.code !== 0 || !res.stdout.trim()) return undefined
      const routes = JSON.parse(res.stdout) as { dst: string; dev: string }[]
      const route = routes.find((r) => r.dst === site1.lanPrefix)
      const m = route ? /(\d+)-(\d+)$/.exec(route.dev) : null
      return m ? Number(m[1]) : undefined
    }

    /** P and RTT per path of site 0 from its /metrics (local slot -> max over remotes). */
    async function sample(slot: number): Promise<{ p: number | null; rttMs: number | null }> {
      const res = await lab.exec(site0.ns, 'curl', ['-s', '--max-time', '1', METRICS_URL], 3_000)
      let p: number | null = null
      let rtt: number | null = null
      for (const line of res.stdout.split('\n')) {
        const m = /^(\w+)\{([^}]*)\} ([\d.eE+-]+)$/.exec(line)
        if (!m?.[2]?.includes(`local_slot="${slot}"`)) continue
        const v = Number(m[3])
        if (m[1] === 'patronus_agent_path_failure_probability') p = Math.max(p ?? 0, v)
        if (m[1] === 'patronus_agent_path_rtt_seconds') rtt = Math.max(rtt ?? 0, v * 1000)
      }
      return { p, rttMs: rtt }
    }

    async function degradeAndCut(mode: PredictiveRun['mode']): Promise<PredictiveRun> {
      const slot = await classSlot()
      if (slot === undefined) throw new Error('the class has no route on site 0')
      const uplink = lab.uplink(0, slot)
      const stream = await runStream(lab, site0, site1, PPS, PRE_MS + CUT_AFTER_MS + POST_MS)
      await sleep(PRE_MS)
      if (PRECURSOR === 'queue') {
        await run('tc', [
          ...['-n', lab.wanNs, 'qdisc', 'replace', 'dev', uplink.wanIfname, 'root', 'tbf'],
          ...['rate', `${RATE_KBIT}kbit`, 'burst', '4000', 'latency', `${QUEUE_LIMIT_MS}ms`],
        ])
        flood = lab.spawnIn(lab.wanNs, 'flood', process.execPath, [
          ...['--import', 'tsx', FLOOD_SCRIPT, uplink.address, '9'],
          ...[String(FLOOD_KBIT), '1000', String(CUT_AFTER_MS + POST_MS)],
        ])
        // The ramp starts when the flood does (node takes ~1 s to start).
        await waitForLine(flood, 'ready', 10_000)
      }
      const rampAt = Date.now()
      let maxP: number | null = null
      let firstFlag: number | null = null
      let rtt: number | null = null
      let lossPct = 0
      while (Date.now() - rampAt < CUT_AFTER_MS - 150) {
        // The loss variant: LOSS_STEP_PCT more loss (each way) every second.
        const step = Math.min(50, LOSS_STEP_PCT * (1 + Math.floor((Date.now() - rampAt) / 1000)))
        if (PRECURSOR === 'loss' && step !== lossPct) {
          lossPct = step
          await lab.impair(0, slot, { lossPct })
        }
        const s = await sample(slot)
        if (s.p !== null) maxP = Math.max(maxP ?? 0, s.p)
        if (s.rttMs !== null) rtt = s.rttMs
        await sleep(200)
      }
      await sleep(Math.max(0, rampAt + CUT_AFTER_MS - Date.now()))
      await lab.impair(0, slot, { blackhole: true })
      const result = await stream.done
      const decisions = agent0
        .entries()
        .filter(
          (e) => e.msg === 'path decision' && e.class === policyId && Number(e.time) >= rampAt - 50,
        )
      const move = decisions.find(
        (e) => (e.from as { localSlot?: number } | null)?.localSlot === slot,
      )
      const flagEvent = agent0
        .entries()
        .find((e) => e.msg === 'predicted degradation' && Number(e.time) >= rampAt)
      firstFlag = flagEvent ? Number(flagEvent.time) - rampAt : null
      const bfdDown = agent0
        .entries()
        .find(
          (e) =>
            e.msg === 'bfd state' &&
            e.to === 'Down' &&
            String(e.path).split('/')[1] === String(slot) &&
            Number(e.time) >= rampAt,
        )
      if (process.env.PREDICT_LAB_TRACE) {
        const { writeFileSync } = await import('node:fs')
        const rows = agent0
          .entries()
          .filter((e) => e.msg === 'prediction' && Number(e.time) >= rampAt - 3_000)
        writeFileSync(`${process.env.PREDICT_LAB_TRACE}-${mode}.json`, JSON.stringify(rows))
      }
      // Restore: the flood and the queue first, then the uplink.
      if (flood) await lab.stop(flood.pid)
      flood = undefined
      await run('tc', ['-n', lab.wanNs, 'qdisc', 'del', 'dev', uplink.wanIfname, 'root'], {
        allowFail: true,
      })
      await lab.impair(0, slot, {})
      const out: PredictiveRun = {
        mode,
        slot,
        lost: result.lost,
        sent: result.sent,
        maxGapMs: Math.round(result.maxGapMs * 10) / 10,
        historyMs: rampAt - lastUp,
        movedAfterMs: move ? Number(move.time) - rampAt : null,
        moveReason: move ? String(move.reason) : null,
        firstFlagAfterMs: firstFlag,
        maxProbabilityBeforeCut: maxP === null ? null : Math.round(maxP * 1e4) / 1e4,
        rttBeforeCutMs: rtt === null ? null : Math.round(rtt * 10) / 10,
        bfdDownAfterMs: bfdDown ? Number(bfdDown.time) - rampAt : null,
        bfdDownDiag: bfdDown ? String(bfdDown.diag) : null,
        gaps: gapsOver(result.arrivals, 40).map((g) => ({
          atMs: Math.round(g.at - rampAt),
          ms: Math.round(g.ms),
        })),
        decisions: decisions.map((e) => ({
          atMs: Number(e.time) - rampAt,
          event: String(e.event),
          reason: String(e.reason),
          from: slotsOf(e.from),
          to: slotsOf(e.to),
        })),
      }
      log(`${mode}: ${JSON.stringify(out)}`)
      return out
    }

    async function settle(home: number): Promise<void> {
      // The restored uplink is clean failbackAfterMs (10 s) later and the class comes back
      // to it. Wait for that: a failback in the middle of the next run would move the class
      // off the degraded uplink before its cut. (With the flag's episode still open the
      // class may stay away; then the next run degrades the uplink it is on.)
      await waitFor('the class back on its uplink', 25_000, async () =>
        (await classSlot()) === home ? true : undefined,
      ).catch(() => {})
      await sleep(1_000)
    }

    await sleep(Math.max(0, lastUp + HISTORY_MS - Date.now()))
    const predictive = await degradeAndCut('predictive')
    await settle(predictive.slot)
    const patched = await cp.api('PATCH', `/v1/policies/${policyId}`, {
      action: { preference: 'lowest-cost', sla: { maxLossPct: 1 }, predictive: false },
    })
    if (patched.status !== 200) throw new Error(`patch policy: ${JSON.stringify(patched.body)}`)
    await sleep(3_000)
    const reactive = await degradeAndCut('reactive')

    const events = await waitFor(
      'path.predicted_degradation at the control plane',
      20_000,
      async () => {
        const res = await cp.api(
          'GET',
          `/v1/events?type=path.predicted_degradation&siteId=${f.siteIds[0]}&limit=100`,
        )
        const items = (res.body?.items ?? []) as unknown[]
        return items.length > 0 ? items.length : undefined
      },
    ).catch(() => 0)

    return {
      lostReactive: reactive.lost,
      lostPredictive: predictive.lost,
      reactive,
      predictive,
      predictedDegradationEvents: events,
      modelId,
      setup: {
        sites: 2,
        uplinks: 2,
        streamPps: PPS,
        tbfRateKbit: RATE_KBIT,
        floodKbit: FLOOD_KBIT,
        cutAfterMs: CUT_AFTER_MS,
        historyBeforeFirstRunMs: HISTORY_MS,
        bfd: '100 ms x 3 (the control plane default)',
        classSla: { maxLossPct: 1 },
        precursor: PRECURSOR,
        preference: 'lowest-cost',
        runId: lab.runId,
      },
    }
  } finally {
    if (flood) await lab.stop(flood.pid).catch(() => {})
    await f.stop()
  }
}

function slotsOf(p: unknown): string {
  const r = p as { localSlot?: number; remoteSlot?: number } | null
  return r ? `${r.localSlot}-${r.remoteSlot}` : '-'
}

async function waitForLine(proc: LabProcess, line: string, timeoutMs: number): Promise<void> {
  let out = ''
  proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  await waitFor(`"${line}" from ${proc.name}`, timeoutMs, async () =>
    out.includes(line) ? true : undefined,
  )
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await probe()
    if (v !== undefined) return v
    await sleep(200)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
