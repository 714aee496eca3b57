/**
 * LZ4 benchmark: block and frame compress / decompress in MB/s of uncompressed bytes on one
 * corpus, against lz4-napi (native; its sync block and frame APIs) and the `lz4` CLI's own
 * in-memory benchmark (`lz4 -b1`, level 1, which reports block compress and decompress speed),
 * with compression ratios (uncompressed / compressed).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as napi from 'lz4-napi'
import {
  compressBlock,
  compressFrame,
  decompressBlock,
  decompressFrame,
} from '../../wasm/lz4/index.js'
import { mb, race, ratio } from './measure.js'

interface Pair {
  oursMBps: number
  nativeMBps: number
  ratio: number
}

export interface Lz4Figures {
  blockCompress: Pair & { cliMBps: number }
  blockDecompress: Pair & { cliMBps: number }
  frameCompress: Pair
  frameDecompress: Pair
  sizeRatioOurs: number
  sizeRatioNative: number
  sizeRatioCli: number
  /** Our frame size over `lz4 -1`'s frame size of the same data, minus one (0.001 = 0.1% larger). */
  frameSizeVsCli: number
}

/** `lz4 -b1` on the corpus: compressed size and block compress / decompress MB/s. */
function cliBench(data: Uint8Array): { size: number; compress: number; decompress: number } {
  // lz4 prints its benchmark on stderr; run it through sh to merge the streams.
  const dir = mkdtempSync(join(tmpdir(), 'patronus-bench-'))
  try {
    const file = join(dir, 'corpus')
    writeFileSync(file, data)
    const out = execFileSync('sh', ['-c', 'lz4 -b1 -i3 "$1" 2>&1', 'sh', file], {
      timeout: 120_000,
      encoding: 'utf8',
    })
    const text = out.replace(/\r/g, '\n')
    const m = [
      ...text.matchAll(/->\s+(\d+)\s+\([\d.]+\),\s*([\d.]+) MB\/s\s*,\s*([\d.]+) MB\/s/g),
    ].at(-1)
    if (!m) throw new Error(`could not parse lz4 -b1 output: ${text.slice(-300)}`)
    return { size: Number(m[1]), compress: Number(m[2]), decompress: Number(m[3]) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function benchLz4(data: Buffer): Promise<Lz4Figures> {
  const n = data.length
  const ourBlock = compressBlock(data)
  const napiBlock = napi.compressSync(data)
  const ourFrame = compressFrame(data)
  const napiFrame = napi.compressFrameSync(data)
  const cliFrame = execFileSync('lz4', ['-1', '-c'], {
    input: data,
    maxBuffer: 1 << 28,
    timeout: 60_000,
  })
  // Sanity: every contender round-trips before we time it.
  for (const [name, ok] of [
    ['ours block', Buffer.compare(decompressBlock(ourBlock, n), data) === 0],
    ['ours frame', Buffer.compare(decompressFrame(ourFrame), data) === 0],
    ['napi block', Buffer.compare(napi.uncompressSync(napiBlock), data) === 0],
    ['napi frame', Buffer.compare(napi.decompressFrameSync(napiFrame), data) === 0],
  ] as const) {
    if (!ok) throw new Error(`${name} does not round-trip`)
  }

  const bc = await race([
    { name: 'ours', units: n, op: () => compressBlock(data) },
    { name: 'native', units: n, op: () => napi.compressSync(data) },
  ])
  const bd = await race([
    { name: 'ours', units: n, op: () => decompressBlock(ourBlock, n) },
    { name: 'native', units: n, op: () => napi.uncompressSync(napiBlock) },
  ])
  const fc = await race([
    { name: 'ours', units: n, op: () => compressFrame(data) },
    { name: 'native', units: n, op: () => napi.compressFrameSync(data) },
  ])
  const fd = await race([
    { name: 'ours', units: n, op: () => decompressFrame(ourFrame) },
    { name: 'native', units: n, op: () => napi.decompressFrameSync(napiFrame) },
  ])
  const cli = cliBench(data)
  const pair = (r: Record<string, number>): Pair => ({
    oursMBps: mb(r['ours']!),
    nativeMBps: mb(r['native']!),
    ratio: ratio(r['ours']!, r['native']!),
  })
  const sizeRatio = (size: number) => Math.round((n / size) * 1000) / 1000
  return {
    blockCompress: { ...pair(bc), cliMBps: cli.compress },
    blockDecompress: { ...pair(bd), cliMBps: cli.decompress },
    frameCompress: pair(fc),
    frameDecompress: pair(fd),
    sizeRatioOurs: sizeRatio(ourBlock.length),
    // lz4-napi's block format prepends a 4-byte size; count only the LZ4 data.
    sizeRatioNative: sizeRatio(napiBlock.length - 4),
    sizeRatioCli: sizeRatio(cli.size),
    frameSizeVsCli: Math.round((ourFrame.length / cliFrame.length - 1) * 10000) / 10000,
  }
}
