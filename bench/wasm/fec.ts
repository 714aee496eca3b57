/**
 * FEC benchmark: encode and reconstruct (4 data shards lost, the worst case: every lost shard
 * needs all k survivors) for 10+4 and 20+4 with 1 KiB and 64 KiB shards, in MB/s of data
 * (k * shard size per call). Contenders: our wasm codec, @ronomon/reed-solomon (native addon,
 * called one request at a time as a packet path would) and a plain TypeScript encoder.
 */
import { randomFillSync } from 'node:crypto'
import { createRequire } from 'node:module'
import { createReedSolomon } from '../../wasm/fec/index.js'
import { referenceEncoder } from '../../wasm/fec/reference.js'
import { mb, race, ratio } from './measure.js'

interface Ronomon {
  create(k: number, m: number): unknown
  encode(
    ctx: unknown,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error) => void,
  ): void
}

const ronomon = createRequire(import.meta.url)('@ronomon/reed-solomon') as Ronomon

export interface FecFigures {
  encode: { oursMBps: number; nativeMBps: number; ratio: number; plainTsMBps: number }
  reconstruct: { oursMBps: number; nativeMBps: number; ratio: number }
}

const LOST = 4

export async function benchFec(k: number, m: number, shardSize: number): Promise<FecFigures> {
  const units = k * shardSize
  // Native: data shards contiguous in one buffer, parity in another (its API).
  const ctx = ronomon.create(k, m)
  const buffer = randomFillSync(Buffer.alloc(k * shardSize))
  const parity = Buffer.alloc(m * shardSize)
  const bits = (from: number, to: number) => {
    let b = 0
    for (let i = from; i < to; i++) b |= 1 << i
    return b
  }
  const nativeCall = (sources: number, targets: number) =>
    new Promise<void>((resolve, reject) =>
      ronomon.encode(
        ctx,
        sources,
        targets,
        buffer,
        0,
        k * shardSize,
        parity,
        0,
        m * shardSize,
        (e) => (e ? reject(e) : resolve()),
      ),
    )

  // Ours: the same bytes as separate shards.
  const rs = createReedSolomon(k, m)
  const data = Array.from({ length: k }, (_, i) =>
    buffer.subarray(i * shardSize, (i + 1) * shardSize),
  )
  const shards = [
    ...data.map((d) => new Uint8Array(d)),
    ...Array.from({ length: m }, () => new Uint8Array(shardSize)),
  ]
  rs.encode(shards)
  const present = shards.map((_, i) => i >= LOST)
  const plain = referenceEncoder(k, m)

  await nativeCall(bits(0, k), bits(k, k + m))
  const enc = await race([
    { name: 'ours', units, op: () => rs.encode(shards) },
    { name: 'native', units, op: () => nativeCall(bits(0, k), bits(k, k + m)) },
  ])
  const plainTs = await race([{ name: 'plain', units, op: () => plain(data) }], 150)
  const rec = await race([
    { name: 'ours', units, op: () => rs.reconstruct(shards, present) },
    { name: 'native', units, op: () => nativeCall(bits(LOST, k + m), bits(0, LOST)) },
  ])
  return {
    encode: {
      oursMBps: mb(enc['ours']!),
      nativeMBps: mb(enc['native']!),
      ratio: ratio(enc['ours']!, enc['native']!),
      plainTsMBps: mb(plainTs['plain']!),
    },
    reconstruct: {
      oursMBps: mb(rec['ours']!),
      nativeMBps: mb(rec['native']!),
      ratio: ratio(rec['ours']!, rec['native']!),
    },
  }
}
