/**
 * WAN optimization (docs/wanopt.md) in the lab, through the real control plane and the real agent
 * CLIs (2 sites x 1 uplink): policy classes with `fec` and `compression` are carried by the agents'
 * optimizer tunnel (TUN, OptimizerSender/Receiver, UDP inside WireGuard).
 * - With 5% random loss on the active uplink, a UDP stream of the `fec` class loses far less
 *   than the same stream of an unoptimized class, side by side (a clear margin, not a timing).
 * - A compressible stream of the `compression` class costs fewer bytes on the uplink than its
 *   payload; an incompressible one is sent raw (no packet compressed).
 * - Fuzzed optimizer datagrams from the peer never crash the agent: it stays up, counts them
 *   as dropped, and keeps delivering.
 * - Turning `fec` off in the policy sends the class back to the plain tunnel (rules and TUN
 *   removed on the next reconfig, no restart), and stopping the agent removes the rest.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { OPTIMIZER_PORT, OPTIMIZER_RULE_PRIORITY_BASE } from '../../agent/optimizer/tunnel/plan'
import { encodeOptimizerPacket } from '../../protocol/optimizer'
import { pollUntil, run } from './exec'
import { type LabSite, labLeftovers } from './harness'
import { newRunId } from './names'
import {
  diagnose,
  FEC_PORT,
  linkNames,
  WANOPT_METRIC as M,
  metricSum,
  optimizerRules,
  PLAIN_PORT,
  runFlow,
  startWanoptLab,
  uplinkTxBytes,
  type WanoptLab,
  ZIP_PORTS,
} from './wanopt-lab'

let w: WanoptLab
const runId = newRunId()
const figures: Record<string, number> = {}
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}
const site = (i: number): LabSite => w.lab.site(i)
const metrics = (i: number) => w.metrics(i)
const links = (i: number) => linkNames(w.lab, site(i))

function alive(i: number): void {
  const a = w.agents[i]
  if (!a?.running) throw new Error(`agent ${i} exited:\n${a?.logs.slice(-3000)}`)
}

beforeAll(async () => {
  w = await startWanoptLab(log, runId)
}, 180_000)

afterAll(async () => {
  await w?.destroy()
  console.log(`wanopt figures: ${JSON.stringify(figures)}`)
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
  const procs = await run('pgrep', ['-af', `patronus-lab-${runId}-`], { allowFail: true })
  expect(procs.stdout.trim()).toBe('')
}, 90_000)

describe('the WAN optimizer tunnel between two real agents', () => {
  test('5% random loss: the fec class loses far less than a plain class beside it', async () => {
    await w.lab.impair(0, 0, { lossPct: 5 })
    try {
      // Redundancy follows the loss the probes measure: wait until the path has parity.
      await pollUntil(
        'redundancy on the lossy path',
        async () => {
          alive(0)
          const ratio = metricSum(await metrics(0), `${M}redundancy_ratio`)
          return ratio > 0 ? ratio : undefined
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      )
      const flow = { pps: 1000, durationMs: 8_000, size: 160, kind: 'zeros' as const }
      const [fec, plain] = await Promise.all([
        runFlow(w.lab, site(0), site(1), { ...flow, port: FEC_PORT }),
        runFlow(w.lab, site(0), site(1), { ...flow, port: PLAIN_PORT }),
      ])
      const text = await metrics(0)
      figures.fecLossPct = fec.lossPct
      figures.plainLossPct = plain.lossPct
      figures.redundancyRatio = metricSum(text, `${M}redundancy_ratio`)
      figures.recovered = metricSum(await metrics(1), `${M}recovered_packets_total`)
      log(`fec ${fec.lossPct}% plain ${plain.lossPct}% ${JSON.stringify(figures)}`)
      if (!(fec.lossPct < plain.lossPct / 3)) log(await diagnose(w))
      expect(fec.sent).toBeGreaterThan(7_000)
      expect(plain.sent).toBeGreaterThan(7_000)
      // The impairment really bites the plain class...
      expect(plain.lossPct).toBeGreaterThan(2)
      // ...and the fec class keeps at most a third of that loss.
      expect(fec.lossPct).toBeLessThan(plain.lossPct / 3)
      expect(figures.recovered).toBeGreaterThan(0)
    } finally {
      await w.lab.impair(0, 0, {})
    }
  }, 90_000)

  test('compression: text costs fewer uplink bytes than its payload, random bytes go raw', async () => {
    const compressedBefore = metricSum(await metrics(0), `${M}compressed_packets_total`)
    const txBefore = await uplinkTxBytes(w.lab, site(0), 0)
    const text = await runFlow(w.lab, site(0), site(1), {
      port: ZIP_PORTS[0] ?? 0,
      pps: 500,
      durationMs: 3_000,
      size: 1_000,
      kind: 'text',
    })
    const txText = (await uplinkTxBytes(w.lab, site(0), 0)) - txBefore
    const compressedAfterText = metricSum(await metrics(0), `${M}compressed_packets_total`)
    figures.textWireOverPayload = txText / text.bytes
    expect(text.received).toBeGreaterThan(text.sent * 0.95)
    // Everything the uplink carried in that time (probes and BFD included) is under the payload.
    expect(txText).toBeLessThan(text.bytes)
    expect(compressedAfterText - compressedBefore).toBeGreaterThanOrEqual(text.received)

    const sentBefore = metricSum(await metrics(0), `${M}packets_total`)
    const txBefore2 = await uplinkTxBytes(w.lab, site(0), 0)
    const random = await runFlow(w.lab, site(0), site(1), {
      port: ZIP_PORTS[1] ?? 0,
      pps: 500,
      durationMs: 3_000,
      size: 1_000,
      kind: 'random',
    })
    const txRandom = (await uplinkTxBytes(w.lab, site(0), 0)) - txBefore2
    const after = await metrics(0)
    figures.randomWireOverPayload = txRandom / random.bytes
    if (random.received <= random.sent * 0.95) log(await diagnose(w))
    expect(random.received).toBeGreaterThan(random.sent * 0.95)
    // Every packet went through the optimizer, none of them compressed.
    expect(metricSum(after, `${M}packets_total`) - sentBefore).toBeGreaterThanOrEqual(
      random.received,
    )
    expect(metricSum(after, `${M}compressed_packets_total`)).toBe(compressedAfterText)
    expect(txRandom).toBeGreaterThan(random.bytes)
  }, 60_000)

  test('fuzzed optimizer datagrams from the peer: counted as dropped, the agent stays up', async () => {
    const valid = encodeOptimizerPacket({
      type: 'data',
      compressed: false,
      session: 7,
      block: 1,
      k: 4,
      m: 1,
      index: 0,
      payload: new Uint8Array(40),
    })
    const datagram = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 1400 }),
      // A plausible header with random fields and payload: reaches the receiver's checks.
      fc
        .tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 1400 }))
        .map(([h, p]) => Uint8Array.from([0x50, 0x4f, 1, ...h.slice(3), ...h, ...p])),
      // A valid datagram with one to four bytes changed or cut short.
      fc
        .tuple(
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.integer({ min: 1, max: valid.length }),
        )
        .map(([changes, cut]) => {
          const copy = Uint8Array.from(valid)
          for (const [at, v] of changes) copy[at] = v
          return copy.slice(0, cut)
        }),
    )
    const samples = fc.sample(datagram, { numRuns: 3_000, seed: 11 })
    const file = join(w.dir, 'fuzz.hex')
    await writeFile(
      file,
      `${samples.map((s) => `x${Buffer.from(s).toString('hex')}`).join('\n')}\n`,
    )
    const before = await metrics(0)
    const script = fileURLToPath(new URL('./wanopt-traffic.ts', import.meta.url))
    const res = await w.lab.exec(
      site(1).ns,
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        'blast',
        w.enrolled[1]?.overlayAddress ?? '',
        w.enrolled[0]?.overlayAddress ?? '',
        String(OPTIMIZER_PORT),
        file,
      ],
      60_000,
    )
    expect(res.code, res.stderr).toBe(0)
    expect(JSON.parse(res.stdout).sent).toBe(samples.length)
    await new Promise((r) => setTimeout(r, 500))
    alive(0)
    const after = await metrics(0)
    const received =
      metricSum(after, `${M}datagrams_received_total`) -
      metricSum(before, `${M}datagrams_received_total`)
    const dropped = metricSum(after, `${M}dropped_total`) - metricSum(before, `${M}dropped_total`)
    figures.fuzzReceived = received
    figures.fuzzDropped = dropped
    expect(received).toBeGreaterThan(samples.length * 0.9)
    // Almost everything is malformed; some mutated datagrams are valid data and delivered
    // (then refused by the kernel or the source check), so not all are counted as drops.
    expect(dropped).toBeGreaterThan(samples.length * 0.5)
    // Still working: the fec class delivers.
    const r = await runFlow(w.lab, site(0), site(1), {
      port: FEC_PORT,
      pps: 200,
      durationMs: 1_000,
      size: 64,
      kind: 'zeros',
    })
    expect(r.received).toBeGreaterThan(r.sent * 0.95)
    alive(0)
  }, 90_000)

  test('fec off in the policy: the class is back on the plain tunnel without restart', async () => {
    const id = w.policyIds['voice-fec'] ?? ''
    const res = await w.cp.api('PATCH', `/v1/policies/${id}`, {
      action: { preference: 'lowest-latency', fec: false },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const tun = `${site(0).wgPrefix}o0`
    await pollUntil(
      'class 0 rules and TUN removed',
      async () => {
        alive(0)
        const rules = await optimizerRules(w.lab, site(0))
        const gone = !rules.some((r) => r.priority === OPTIMIZER_RULE_PRIORITY_BASE)
        return gone && !(await links(0)).includes(tun) ? true : undefined
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    )
    // The compression class is untouched.
    expect((await links(0)).includes(`${site(0).wgPrefix}o1`)).toBe(true)
    const before = metricSum(await metrics(0), `${M}packets_total`)
    const r = await runFlow(w.lab, site(0), site(1), {
      port: FEC_PORT,
      pps: 200,
      durationMs: 2_000,
      size: 64,
      kind: 'zeros',
    })
    expect(r.received).toBeGreaterThan(r.sent * 0.95)
    // Delivered, and not by the optimizer.
    expect(metricSum(await metrics(0), `${M}packets_total`)).toBe(before)
    expect(w.agents[0]?.has('class back on the plain tunnel')).toBe(true)
  }, 60_000)

  test('stopping the agent removes its TUNs and rules', async () => {
    expect(await w.agents[0]?.stop(w.lab)).toBe(0)
    expect((await links(0)).filter((l) => l.startsWith(`${site(0).wgPrefix}o`))).toEqual([])
    expect(await optimizerRules(w.lab, site(0))).toEqual([])
  }, 30_000)
})
