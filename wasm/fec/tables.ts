/**
 * Nibble tables for the wasm multiply-accumulate, in the row-group layout that
 * wasm/fec/assembly/index.ts documents: rows split greedily into groups of 4, 2, 1; a group of g
 * rows starting at row r occupies cols*g*32 bytes at r*cols*32, entry (c, i) at c*g*32 + i*32,
 * each entry being lo[16] = a*x then hi[16] = a*(x << 4).
 */
import { mul } from './gf256.js'

export function nibbleTables(coef: Uint8Array, rows: number, cols: number): Uint8Array {
  const t = new Uint8Array(rows * cols * 32)
  let r = 0
  while (r < rows) {
    const g = rows - r >= 4 ? 4 : rows - r >= 2 ? 2 : 1
    const base = r * cols * 32
    for (let c = 0; c < cols; c++) {
      for (let i = 0; i < g; i++) {
        const a = coef[(r + i) * cols + c]!
        const at = base + c * g * 32 + i * 32
        for (let x = 0; x < 16; x++) {
          t[at + x] = mul(a, x)
          t[at + 16 + x] = mul(a, x << 4)
        }
      }
    }
    r += g
  }
  return t
}
