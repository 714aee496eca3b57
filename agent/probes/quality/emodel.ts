/**
 * A MOS estimate for a voice call over a path, from the ITU-T G.107 E-model, simplified the
 * usual way for network monitoring (all defaults of G.107 Table 2, perfect echo control):
 *
 *   R = 93.2 - Idd(Ta) - Ie,eff(Ppl)
 *
 * - Ta, one-way mouth-to-ear delay (ms) = RTT/2 + 2 x jitter (a jitter buffer twice the
 *   jitter) + codecDelayMs (0 by default).
 * - Idd (G.107 sec. 7.4, delay impairment): 0 for Ta <= 100 ms, else with X = log2(Ta/100),
 *   Idd = 25 * ((1 + X^6)^(1/6) - 3 * (1 + (X/3)^6)^(1/6) + 2).
 * - Ie,eff (G.107 sec. 7.5, eq. 7-29) = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), with
 *   G.711 with packet loss concealment: Ie = 0, Bpl = 25.1 (G.113 Appendix I), random loss
 *   (BurstR = 1). Ppl is the loss in percent.
 * - MOS (G.107 Annex B): 1 for R < 0, 4.5 for R > 100, else
 *   1 + 0.035 R + R (R - 60) (100 - R) 7e-6 (clamped to [1, 4.5]).
 */

export const R0 = 93.2
export const G711_IE = 0
export const G711_BPL = 25.1

export function delayImpairment(oneWayMs: number): number {
  if (!(oneWayMs > 100)) return 0
  const x = Math.log2(oneWayMs / 100)
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2)
}

export function lossImpairment(lossPct: number, ie = G711_IE, bpl = G711_BPL, burstR = 1): number {
  const ppl = Math.min(100, Math.max(0, lossPct))
  return ie + ((95 - ie) * ppl) / (ppl / burstR + bpl)
}

export function mosFromR(r: number): number {
  if (Number.isNaN(r)) return Number.NaN
  if (r <= 0) return 1
  if (r >= 100) return 4.5
  const mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6
  return Math.min(4.5, Math.max(1, mos))
}

export interface EModelInput {
  rttMs: number
  jitterMs: number
  lossPct: number
  codecDelayMs?: number
}

export function oneWayDelayMs(input: EModelInput): number {
  return input.rttMs / 2 + 2 * input.jitterMs + (input.codecDelayMs ?? 0)
}

export function rFactor(input: EModelInput): number {
  return R0 - delayImpairment(oneWayDelayMs(input)) - lossImpairment(input.lossPct)
}

export function estimateMos(input: EModelInput): number {
  return mosFromR(rFactor(input))
}
