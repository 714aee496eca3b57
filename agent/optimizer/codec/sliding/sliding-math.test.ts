/** The sliding code's algebra alone: coefficients and the elimination over unknowns. */
import { describe, expect, it } from 'vitest'
import { mul } from '../../../../wasm/fec/gf256'
import { repairCoefficients } from './coefficients'
import { solve } from './elimination'

describe('repair coefficients', () => {
  it('are nonzero, repeatable, and differ between repairs and sessions', () => {
    const a = repairCoefficients(7, 100, 64)
    expect(a.every((c) => c !== 0)).toBe(true)
    expect([...repairCoefficients(7, 100, 64)]).toEqual([...a])
    expect([...repairCoefficients(7, 101, 64)]).not.toEqual([...a])
    expect([...repairCoefficients(8, 100, 64)]).not.toEqual([...a])
    // A shorter window is a prefix of the same stream (the receiver regenerates exactly these).
    expect([...repairCoefficients(7, 100, 5)]).toEqual([...a.subarray(0, 5)])
    // Spread over the field: many distinct values, not a few.
    expect(new Set(repairCoefficients(1, 1, 4096)).size).toBeGreaterThan(250)
  })
})

/** sum of c_i * x_i for byte values x (one-byte "packets"). */
function apply(coefficients: number[], xs: number[]): number {
  return coefficients.reduce((acc, c, i) => acc ^ mul(c, xs[i]!), 0)
}

describe('elimination', () => {
  it('solves a determined system: each unknown is the combination of the equations it says', () => {
    const x = new Map([
      [10, 0x5a],
      [11, 0x03],
      [12, 0xff],
    ])
    const eqs = [
      { unknowns: [10, 11, 12], coefficients: [3, 7, 9] },
      { unknowns: [11, 12], coefficients: [1, 200] },
      { unknowns: [10, 12], coefficients: [45, 2] },
    ]
    const payloads = eqs.map((e) =>
      apply(
        e.coefficients,
        e.unknowns.map((u) => x.get(u)!),
      ),
    )
    const solved = solve(eqs)
    expect(solved.map((s) => s.unknown).sort()).toEqual([10, 11, 12])
    for (const s of solved) {
      const value = [...s.combination].reduce((acc, c, r) => acc ^ mul(c, payloads[r]!), 0)
      expect(value).toBe(x.get(s.unknown))
    }
  })

  it('pins down only what an underdetermined system fixes', () => {
    // x1 alone in one equation; x2 and x3 only together.
    const solved = solve([
      { unknowns: [1], coefficients: [9] },
      { unknowns: [2, 3], coefficients: [1, 1] },
    ])
    expect(solved.map((s) => s.unknown)).toEqual([1])
    expect(solve([])).toEqual([])
    // Two copies of one equation in two unknowns: still nothing.
    expect(
      solve([
        { unknowns: [4, 5], coefficients: [2, 3] },
        { unknowns: [4, 5], coefficients: [4, 6] },
      ]),
    ).toEqual([])
  })
})
