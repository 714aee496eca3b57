/**
 * Minimal NumPy .npy (format 1.0) writing and reading for the training matrices, so the
 * Python side needs nothing beyond numpy and the TypeScript side no dependency. Arrays are
 * little-endian, C order. Rows can be appended in chunks: the header is written first with the
 * final row count, which the caller knows from the replays.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'

type Dtype = '<f4' | '<i4' | '|u1'

function header(dtype: Dtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`
  // Magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64.
  const unpadded = 10 + dict.length + 1
  const pad = (64 - (unpadded % 64)) % 64
  const text = `${dict}${' '.repeat(pad)}\n`
  const out = Buffer.alloc(10 + text.length)
  out.write('\x93NUMPY', 0, 'latin1')
  out[6] = 1
  out[7] = 0
  out.writeUInt16LE(text.length, 8)
  out.write(text, 10, 'latin1')
  return out
}

export class NpyWriter {
  readonly #fd: number
  #written = 0
  readonly #expected: number

  constructor(path: string, dtype: Dtype, shape: readonly number[]) {
    this.#fd = openSync(path, 'w')
    this.#expected = shape.reduce((a, b) => a * b, 1)
    writeSync(this.#fd, header(dtype, shape))
  }

  append(data: Float32Array | Int32Array | Uint8Array): void {
    writeSync(this.#fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    this.#written += data.length
  }

  close(): void {
    closeSync(this.#fd)
    if (this.#written !== this.#expected) {
      throw new Error(`npy: wrote ${this.#written} values, header promised ${this.#expected}`)
    }
  }
}

export function readNpyFloat32(path: string): { shape: number[]; data: Float32Array } {
  const buf = readFileSync(path)
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`npy ${path}: bad magic`)
  const len = buf.readUInt16LE(8)
  const text = buf.toString('latin1', 10, 10 + len)
  if (!text.includes("'<f4'")) throw new Error(`npy ${path}: not float32`)
  const shape = (/\(([^)]*)\)/.exec(text)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number)
  const body = buf.subarray(10 + len)
  const data = new Float32Array(body.byteLength / 4)
  new Uint8Array(data.buffer).set(body)
  return { shape, data }
}
