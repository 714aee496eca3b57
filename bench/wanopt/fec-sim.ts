/**
 * Block vs sliding-window FEC at 1,000 packets/s (bench/wanopt/fec-model.ts), at 5% random loss
 * and in Gilbert-Elliott bursts, against docs/wanopt.md's goals: residual < 0.1% at <= 20% overhead,
 * added latency p99 < 5 ms over all delivered packets. Prints JSON:
 * `npx tsx bench/wanopt/fec-sim.ts [packets]`.
 */
import { pathToFileURL } from 'node:url'
import {
  blockModel,
  gilbertElliott,
  type LossModel,
  type ModelResult,
  randomLoss,
  slidingModel,
} from './fec-model.js'
import { realRun } from './fec-real.js'

export const LOSS_CASES: Record<string, (seed: number) => LossModel> = {
  'random 5%': (seed) => randomLoss(0.05, seed),
  'random 1%': (seed) => randomLoss(0.01, seed),
  'random 10%': (seed) => randomLoss(0.1, seed),
  // Mean burst 1 / r = 2.5 datagrams, ~5% of datagrams lost on average.
  'gilbert-elliott p=2% r=40%': (seed) => gilbertElliott(0.02, 0.4, 1, seed),
}

export function compareCodes(
  packets = 50_000,
  seed = 1,
): Record<string, Record<string, ModelResult>> {
  const out: Record<string, Record<string, ModelResult>> = {}
  for (const [name, loss] of Object.entries(LOSS_CASES)) {
    const base = { packets, intervalMs: 1 }
    out[name] = {
      'block k=25 m=5 deadline 4 ms': blockModel({
        ...base,
        k: 25,
        m: 5,
        deadlineMs: 4,
        loss: loss(seed),
      }),
      'block k=25 m=5 deadline 30 ms': blockModel({
        ...base,
        k: 25,
        m: 5,
        deadlineMs: 30,
        loss: loss(seed),
      }),
      ...Object.fromEntries(
        [
          [32, 4],
          [32, 5],
          [64, 5],
        ].map(([w, d]) => [
          `sliding 20% W=${w} repair<=${d} ms`,
          slidingModel({
            ...base,
            overhead: 0.2,
            repairDelayMs: d!,
            window: w!,
            windowMs: 60,
            holdMs: 80,
            loss: loss(seed),
          }),
        ]),
      ),
      'real block k=25 m=5 deadline 4 ms': realRun({
        ...base,
        code: 'block',
        k: 25,
        m: 5,
        loss: loss(seed),
      }),
      'real sliding 20% (k=25 m=5)': realRun({
        ...base,
        code: 'sliding',
        k: 25,
        m: 5,
        loss: loss(seed),
      }),
      'real sliding 25% (k=20 m=5)': realRun({
        ...base,
        code: 'sliding',
        k: 20,
        m: 5,
        loss: loss(seed),
      }),
    }
  }
  return out
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const packets = Number(process.argv[2] ?? 50_000)
  const results = compareCodes(packets)
  for (const [loss, codes] of Object.entries(results)) {
    console.log(`\n${loss}`)
    for (const [code, r] of Object.entries(codes)) {
      console.log(
        `  ${code.padEnd(34)} residual ${r.residualLossPct.toFixed(3)}%  overhead ${r.overheadPct}%  ` +
          `recovered ${r.recoveryMs.count} p50/p99/max ${r.recoveryMs.p50}/${r.recoveryMs.p99}/${r.recoveryMs.max} ms  ` +
          `added p99 ${r.addedLatencyMsP99} ms`,
      )
    }
  }
}
