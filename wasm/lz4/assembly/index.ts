// LZ4 hot paths for wasm/lz4/: block compression and decompression and xxHash32. The frame
// format around them is assembled in TypeScript (wasm/lz4/frame*.ts).

export { compressBlock, compressBound } from './compress'
export { decompressBlock } from './decompress'
export { xxh32 } from './xxhash32'

export function heapBase(): usize {
  return __heap_base
}
