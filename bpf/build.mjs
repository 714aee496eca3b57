#!/usr/bin/env node
// Compiles every bpf/*.c into bpf/build/*.o (generated; never edit, never commit).
// `node bpf/build.mjs` (the build:bpf script); `buildBpf()` for tests that need the object.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const BPF_BUILD_DIR = join(here, 'build')

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

/** Builds what is out of date; returns the object paths. Throws naming the setup script. */
export function buildBpf({ force = false } = {}) {
  mkdirSync(BPF_BUILD_DIR, { recursive: true })
  const header = mtime(join(here, 'common.h'))
  const out = []
  for (const file of readdirSync(here).filter((f) => f.endsWith('.c'))) {
    const src = join(here, file)
    const obj = join(BPF_BUILD_DIR, file.replace(/\.c$/, '.o'))
    out.push(obj)
    if (!force && mtime(obj) > Math.max(mtime(src), header)) continue
    try {
      execFileSync(
        'clang',
        [
          '-O2',
          '-g',
          '-Wall',
          '-target',
          'bpf',
          '-I/usr/include/x86_64-linux-gnu',
          '-c',
          src,
          '-o',
          obj,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      )
    } catch (err) {
      if (err.code === 'ENOENT')
        throw new Error(
          'clang is missing: install the eBPF toolchain with sudo scripts/setup-debian.sh',
        )
      throw new Error(`clang failed on ${file}`)
    }
  }
  return out
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const obj of buildBpf({ force: process.argv.includes('--force') })) console.log(obj)
}
