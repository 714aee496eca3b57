/**
 * Patronus WebAssembly acceleration: the agent's hot loops compiled from AssemblyScript with SIMD
 * (`npm run build:wasm` builds wasm/build/), each behind a small typed wrapper.
 *
 * - fec: systematic Reed-Solomon erasure coding over GF(2^8)
 * - lz4: LZ4 block and frame formats, interoperable with the `lz4` CLI
 * - score: batch path scoring, N paths x M classes
 * - plugin: custom scorers as WebAssembly components of the `patronus:scorer` world
 */
export * from './fec/index.js'
export * from './lz4/index.js'
export * from './plugin/index.js'
export * from './score/index.js'
