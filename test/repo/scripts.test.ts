/**
 * Every `npm run` script the README and the other tracked docs (*.md) mention exists, and works on a fresh clone:
 * a script that needs build output (wasm/build, dist/ui) builds it first, through its
 * pre-hook, which is checked here statically (nothing is built or run). eBPF objects need
 * no hook: bpf/build.mjs's buildBpf() compiles them on demand wherever they are loaded.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  docFiles,
  entryFile,
  importClosure,
  mentionedScripts,
  type Scripts,
  scriptsRunBefore,
} from './npm-scripts.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8')
const scripts: Scripts = JSON.parse(read('package.json')).scripts

type Output = 'wasm' | 'ui'
const BUILD_SCRIPT: Record<Output, string> = { wasm: 'build:wasm', ui: 'build:ui' }

/**
 * Scripts that need build output and why. The import scan below finds the tsx scripts that
 * load wasm themselves or start the agent; this table also holds those it cannot see.
 */
const NEEDS: Record<string, { outputs: Output[]; why: string }> = {
  start: { outputs: ['ui'], why: 'serves the dashboard from dist/ui' },
  'dev:workers': { outputs: ['ui'], why: 'deploys dist/ui as static assets' },
  test: { outputs: ['wasm', 'ui'], why: 'every suite; builds once, then runs each suite' },
  'test:node': { outputs: ['wasm'], why: 'the wasm modules and scorer plugin tests' },
  'test:workers': { outputs: ['ui'], why: 'the Worker serves dist/ui' },
  'test:lab': { outputs: ['wasm'], why: 'the lab suites start the real agent' },
  lab: { outputs: ['wasm', 'ui'], why: 'the real agent in every site; a dashboard to look at' },
  'bench:wasm': { outputs: ['wasm'], why: 'measures the wasm modules' },
  'bench:wanopt': { outputs: ['wasm'], why: 'FEC and LZ4 run in wasm' },
  'bench:dataplane': { outputs: ['wasm'], why: 'starts the real agent' },
  'bench:failover': { outputs: ['wasm'], why: 'starts the real agent' },
}

/** Scripts that build what they need inside their own command, with the proof. */
const SELF_BUILT: Record<string, { outputs: Output[]; proof: () => boolean }> = {
  'test:ui': {
    outputs: ['ui'],
    proof: () =>
      read('vitest.ui.config.ts').includes("globalSetup: ['test/ui/global-setup.ts']") &&
      /import \{ build \} from 'vite'[\s\S]*await build\(/.test(read('test/ui/global-setup.ts')),
  },
}

/** Files whose presence in a script's imports means the script needs wasm/build. */
const NEEDS_WASM = {
  'wasm/shared/instance.ts': 'reads wasm/build/*.wasm',
  'test/lab/cli-agent.ts': 'starts agent/bin/patronus-agent.js, which loads the wasm modules',
}

describe('npm run scripts in the docs', () => {
  const mentioned = mentionedScripts(docFiles(ROOT).map(read))

  it('finds the mentions (the scan is not vacuous)', () => {
    for (const name of ['start', 'test', 'bench:wasm', 'test:lab', 'admin', 'models:record']) {
      expect(mentioned).toContain(name)
    }
  })

  it('mentions only scripts package.json has', () => {
    expect([...mentioned].filter((name) => !(name in scripts))).toEqual([])
  })
})

describe('scripts that need build output build it first', () => {
  it('through their pre-hooks', () => {
    const lacking: string[] = []
    for (const [name, { outputs, why }] of Object.entries(NEEDS)) {
      expect(scripts, name).toHaveProperty([name])
      const before = scriptsRunBefore(scripts, name)
      for (const output of outputs) {
        if (!before.has(BUILD_SCRIPT[output])) lacking.push(`${name} needs ${output} (${why})`)
      }
    }
    expect(lacking).toEqual([])
  })

  it('or inside their own command', () => {
    for (const [name, { outputs, proof }] of Object.entries(SELF_BUILT)) {
      expect(NEEDS[name], `${name} is in one table only`).toBeUndefined()
      expect(outputs.length).toBeGreaterThan(0)
      expect(proof(), `${name} builds ${outputs.join(', ')} itself`).toBe(true)
    }
  })

  it('the agent loads the wasm modules (why starting it needs wasm/build)', () => {
    expect(importClosure(ROOT, 'agent/bin/patronus-agent.js')).toContain('wasm/shared/instance.ts')
    expect(read('test/lab/cli-agent.ts')).toContain("'patronus-agent.js'")
  })

  it('every script whose imports reach wasm is in the table, with its hook', () => {
    const found: string[] = []
    for (const [name, command] of Object.entries(scripts)) {
      const entry = entryFile(command)
      if (entry === undefined) continue
      const closure = importClosure(ROOT, entry)
      if (Object.keys(NEEDS_WASM).some((file) => closure.has(file))) found.push(name)
    }
    // The scan must see the direct wasm users and the agent starters, or it proves nothing.
    expect(found).toEqual(expect.arrayContaining(['bench:wasm', 'bench:dataplane', 'lab']))
    expect(found.filter((name) => !NEEDS[name]?.outputs.includes('wasm'))).toEqual([])
  })
})

describe('the helpers', () => {
  it('read script names after npm run flags, and npm start / npm test', () => {
    const text =
      'run `npm run --silent admin -- reset-token`, `sudo npm run test:lab`, then npm test.'
    expect([...mentionedScripts([text])].sort()).toEqual(['admin', 'test', 'test:lab'])
  })

  it('follow pre-hooks through npm run', () => {
    const fake = {
      prea: 'npm run b && tsx x.ts',
      b: 'npm run c',
      prec: 'npm run d',
      c: 'x',
      d: 'y',
    }
    expect([...scriptsRunBefore(fake, 'a')].sort()).toEqual(['b', 'c', 'd', 'prea', 'prec'])
    expect(scriptsRunBefore(fake, 'd').size).toBe(0)
  })
})
