/**
 * Which unknown packets a set of linear equations over GF(2^8) determines, and how: Gauss-Jordan
 * elimination (RFC 8681 sec. 1.1: decoding is solving the linear system of the lost source
 * packets) on the small coefficient matrix only. Each equation is a repair packet reduced to its
 * unknowns; the byte work is left to the caller, which gets, for every solved unknown, the
 * combination of the equations' payloads that equals it (one wasm linear combination each).
 * Sizes are a few equations by a few unknowns, bounded by the decoder, so plain TS is enough.
 */
import { inv, mul } from '../../../../wasm/fec/gf256'

export interface Equation {
  /** The unknowns this equation involves and their coefficients (same order, nonzero). */
  unknowns: readonly number[]
  coefficients: ArrayLike<number>
}

export interface Solution {
  unknown: number
  /** Coefficient per equation (indexed like the input): unknown = sum of c_r * payload_r. */
  combination: Uint8Array
}

/** Every unknown the equations pin down, each as a combination of the equations. */
export function solve(equations: readonly Equation[]): Solution[] {
  const e = equations.length
  if (e === 0) return []
  const columns = new Map<number, number>()
  for (const eq of equations) {
    for (const u of eq.unknowns) if (!columns.has(u)) columns.set(u, columns.size)
  }
  const n = columns.size
  // a: e x n coefficients; t: e x e, the row operations applied so far (starts as identity).
  const a = new Uint8Array(e * n)
  const t = new Uint8Array(e * e)
  equations.forEach((eq, r) => {
    eq.unknowns.forEach((u, i) => {
      a[r * n + columns.get(u)!] = eq.coefficients[i]!
    })
    t[r * e + r] = 1
  })
  let rank = 0
  const pivotColumn: number[] = []
  for (let c = 0; c < n && rank < e; c++) {
    let p = rank
    while (p < e && a[p * n + c] === 0) p++
    if (p === e) continue
    if (p !== rank) {
      swapRows(a, n, p, rank)
      swapRows(t, e, p, rank)
    }
    const scale = inv(a[rank * n + c]!)
    scaleRow(a, n, rank, scale)
    scaleRow(t, e, rank, scale)
    for (let r = 0; r < e; r++) {
      const f = r === rank ? 0 : a[r * n + c]!
      if (f === 0) continue
      addRow(a, n, rank, r, f)
      addRow(t, e, rank, r, f)
    }
    pivotColumn.push(c)
    rank++
  }
  const unknownOf = [...columns.keys()]
  const solved: Solution[] = []
  for (let r = 0; r < rank; r++) {
    // In reduced row echelon form a row with one nonzero entry (the pivot, 1) gives its unknown.
    let nonzero = 0
    for (let c = 0; c < n && nonzero < 2; c++) if (a[r * n + c] !== 0) nonzero++
    if (nonzero !== 1) continue
    solved.push({
      unknown: unknownOf[pivotColumn[r]!]!,
      combination: t.slice(r * e, (r + 1) * e),
    })
  }
  return solved
}

function swapRows(m: Uint8Array, width: number, i: number, j: number): void {
  for (let c = 0; c < width; c++) {
    const x = m[i * width + c]!
    m[i * width + c] = m[j * width + c]!
    m[j * width + c] = x
  }
}

function scaleRow(m: Uint8Array, width: number, row: number, f: number): void {
  for (let c = 0; c < width; c++) m[row * width + c] = mul(m[row * width + c]!, f)
}

/** row `to` += f * row `from` (addition is XOR in GF(2^8)). */
function addRow(m: Uint8Array, width: number, from: number, to: number, f: number): void {
  for (let c = 0; c < width; c++) {
    const x = m[from * width + c]!
    if (x !== 0) m[to * width + c] = m[to * width + c]! ^ mul(x, f)
  }
}
