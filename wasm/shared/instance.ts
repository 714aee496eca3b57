/**
 * Loading of the compiled AssemblyScript modules and the scratch memory the wrappers use to pass
 * bytes in and out. The modules are built with `--runtime stub` (no garbage collector), so the
 * wrappers own everything above the module's static data: each call lays out its inputs and
 * outputs from `heapBase()` upward, growing the memory when a call needs more. Calls are
 * synchronous and never re-entrant, so one arena per module instance is enough.
 */
import { readFileSync } from 'node:fs'

const buildDir = new URL('../build/', import.meta.url)

/** Exports every hot-loop module provides besides its own functions. */
export interface ArenaExports {
  memory: WebAssembly.Memory
  heapBase(): number
}

/** Compile and instantiate `wasm/build/<name>.wasm` synchronously (they have no imports). */
export function instantiateModule<T extends ArenaExports>(name: string): T {
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = new Uint8Array(readFileSync(new URL(`${name}.wasm`, buildDir)))
  } catch (cause) {
    throw new Error(`load wasm module ${name}: run \`npm run build:wasm\` first`, { cause })
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      abort(_msg: number, _file: number, line: number, column: number): never {
        throw new Error(`wasm module ${name} aborted at ${line}:${column}`)
      },
    },
  })
  return instance.exports as unknown as T
}

const PAGE = 65536

/** A bump allocator over a module's linear memory, reset at the start of every call. */
export class Arena {
  readonly #exports: ArenaExports
  readonly #base: number
  #top: number

  constructor(exports: ArenaExports) {
    this.#exports = exports
    this.#base = align(exports.heapBase(), 64)
    this.#top = this.#base
  }

  /** Forget every allocation of the previous call. */
  reset(): void {
    this.#top = this.#base
  }

  /**
   * Reserve `size` bytes (plus `slack` readable bytes after them, for 16-byte SIMD over-reads)
   * aligned to 64 bytes, growing the memory if needed. Returns the address.
   */
  alloc(size: number, slack = 64): number {
    const ptr = this.#top
    this.#top = align(ptr + size + slack, 64)
    const memory = this.#exports.memory
    const have = memory.buffer.byteLength
    if (this.#top > have) {
      memory.grow(Math.ceil((this.#top - have) / PAGE))
    }
    return ptr
  }

  /** Copy `bytes` into freshly reserved memory and return the address. */
  put(bytes: Uint8Array, slack = 64): number {
    const ptr = this.alloc(bytes.length, slack)
    this.u8().set(bytes, ptr)
    return ptr
  }

  /** A view of the whole memory; re-take it after any `alloc`, growth detaches old views. */
  u8(): Uint8Array {
    return new Uint8Array(this.#exports.memory.buffer)
  }

  /** Copy `length` bytes at `ptr` out into a fresh array owned by the caller. */
  take(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.#exports.memory.buffer, ptr, length).slice()
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to
}
