/**
 * The one instance of the LZ4 wasm module and its arena, shared by the block and frame layers.
 */
import { Arena, type ArenaExports, instantiateModule } from '../shared/instance.js'

export interface Lz4Exports extends ArenaExports {
  compressBlock(src: number, srcLen: number, dst: number): number
  compressBound(srcLen: number): number
  decompressBlock(src: number, srcLen: number, dst: number, dstCap: number, dstLow: number): number
  xxh32(ptr: number, len: number, seed: number): number
}

let wasm: { exports: Lz4Exports; arena: Arena } | undefined

export function lz4Module(): { exports: Lz4Exports; arena: Arena } {
  if (!wasm) {
    const exports = instantiateModule<Lz4Exports>('lz4')
    wasm = { exports, arena: new Arena(exports) }
  }
  return wasm
}
