/**
 * Interoperability with the reference implementation: the `lz4` 1.9.x CLI must decode our frames
 * and we must decode its frames, across block sizes, checksum options, linked blocks and levels.
 * The CLI is a real dependency of this test: when it is missing the test fails (never skips).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BlockSize, compressFrame, decompressFrame, Lz4Error } from './index.js'
import { mixedData, randomData, textData } from './testdata.js'

const INSTALL_HINT = 'apt-get install -y --no-install-recommends lz4'

function lz4(args: string[], input?: Uint8Array): Buffer {
  try {
    return execFileSync('lz4', args, { input, timeout: 20_000, maxBuffer: 1 << 28, stdio: 'pipe' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`the lz4 CLI is required for the interop tests: ${INSTALL_HINT}`)
    }
    throw e
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

const dir = mkdtempSync(join(tmpdir(), 'patronus-lz4-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const inputs = {
  text: textData(1_500_000),
  random: randomData(300_000),
  mixed: mixedData(700_000),
  tiny: textData(10),
}
const blockSizes: BlockSize[] = [64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]

describe('lz4 CLI interop', () => {
  it('finds the lz4 CLI', () => {
    expect(lz4(['--version']).toString()).toMatch(/LZ4 command line interface/)
  })

  it.each(Object.keys(inputs))('lz4 -d decodes our frames of %s data', (name) => {
    const data = inputs[name as keyof typeof inputs]
    for (const blockSize of blockSizes) {
      for (const checks of [false, true]) {
        const frame = compressFrame(data, {
          blockSize,
          blockChecksum: checks,
          contentChecksum: checks,
          contentSize: checks,
        })
        expect(same(lz4(['-d', '-c'], frame), data)).toBe(true)
      }
    }
  })

  it.each(Object.keys(inputs))('we decode frames lz4 made of %s data', (name) => {
    const data = inputs[name as keyof typeof inputs]
    const file = join(dir, `${name}.bin`)
    writeFileSync(file, data)
    const variants = [
      ['-1'],
      ['-9'],
      ['-B4'],
      ['-B5', '-BX'],
      ['-B6', '--no-frame-crc'],
      ['-B7', '-BX', '--content-size'],
      ['-B4', '-BD'],
      ['-B4', '-BD', '-9', '-BX'],
    ]
    for (const flags of variants) {
      const frame = lz4([...flags, '-c', file])
      const decoded = decompressFrame(frame)
      if (!same(decoded, data)) throw new Error(`lz4 ${flags.join(' ')}: decoded data differs`)
    }
    expect(variants.length).toBe(8)
  })

  it('matches the size of lz4 -1 output within 1%', () => {
    const data = inputs.text
    const ours = compressFrame(data).length
    const theirs = lz4(['-1', '-c'], data).length
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(0.01)
  })

  it('refuses the legacy format lz4 -l writes', () => {
    const legacy = lz4(['-l', '-c'], inputs.text)
    expect(() => decompressFrame(legacy)).toThrow(Lz4Error)
    expect(() => decompressFrame(legacy)).toThrow(/legacy/)
  })
})
