#!/usr/bin/env node
// Compiles the agent ahead of time into the installable package @patronus/agent (agent/):
// `node scripts/build-agent.mjs` (the build:agent script), then `npm pack ./agent`.
//
//   agent/dist/patronus-agent.mjs   the CLI (agent/cli/main.ts), every pure-JS dependency inlined
//   agent/dist/sandbox-boot.mjs     a scorer sandbox's worker thread (agent/scorers/sandbox-worker.ts)
//   agent/dist/wasm/*.wasm          the hot-loop modules (wasm/build, `npm run build:wasm`)
//   agent/dist/bpf/*.o              the BPF objects (bpf/build, compiled here when out of date)
//
// Packages with native code (or files of their own loaded by path) stay outside the bundle: they
// are exactly the `dependencies` of agent/package.json. Source files that find a file at run time
// with `new URL('<relative path>', import.meta.url)` get that path rewritten to the copy in dist/,
// relative to the bundle; a path with no copy fails the build rather than the installed agent.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { buildBpf } from '../bpf/build.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const AGENT = join(ROOT, 'agent')
export const AGENT_DIST = join(AGENT, 'dist')

/** Files the sources find by path at run time: where they are in the checkout → in dist/. */
const ASSETS = [
  { from: join(ROOT, 'wasm/build/'), to: 'wasm/' },
  { from: join(ROOT, 'bpf/build/'), to: 'bpf/' },
  // The worker's entry: in the checkout a stub that registers tsx, in the package the bundle.
  { from: join(AGENT, 'scorers/sandbox-boot.mjs'), to: 'sandbox-boot.mjs' },
]

const ENTRIES = [
  { in: join(AGENT, 'cli/main.ts'), out: 'patronus-agent' },
  { in: join(AGENT, 'scorers/sandbox-worker.ts'), out: 'sandbox-boot' },
]

// The example scorer components are test fixtures, not something the agent loads.
const isShippedWasm = (name) => name.endsWith('.wasm') && !name.startsWith('scorer-example')

/** `new URL('<literal>', import.meta.url)`, the one way the sources name a file of their own. */
const ASSET_URL = /new URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g

function bundlePath(sourceFile, literal) {
  const target = fileURLToPath(new URL(literal, pathToFileURL(sourceFile)))
  const withSlash = literal.endsWith('/') && !target.endsWith(sep) ? `${target}${sep}` : target
  for (const asset of ASSETS) {
    if (withSlash === asset.from || withSlash.startsWith(asset.from)) {
      return `./${asset.to}${withSlash.slice(asset.from.length)}`
    }
    if (asset.from.endsWith('/') && withSlash === asset.from.slice(0, -1)) return `./${asset.to}`
  }
  throw new Error(
    `${relative(ROOT, sourceFile)} loads ${relative(ROOT, target)} at run time, which the package ` +
      'does not ship: add it to ASSETS in scripts/build-agent.mjs',
  )
}

/** Rewrites the asset URLs of the repository's own sources (never of node_modules). */
const runtimeAssets = {
  name: 'runtime-assets',
  setup(b) {
    b.onLoad({ filter: /\.(ts|mjs|js)$/, namespace: 'file' }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const contents = text.replace(ASSET_URL, (_all, quote, literal) => {
        return `new URL(${quote}${bundlePath(args.path, literal)}${quote}, import.meta.url)`
      })
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
    })
    // The checkout compiles a missing classifier object on demand; the package ships it built.
    b.onResolve({ filter: /bpf\/build\.mjs$/ }, (args) => ({
      path: args.path,
      namespace: 'prebuilt-bpf',
    }))
    b.onLoad({ filter: /.*/, namespace: 'prebuilt-bpf' }, () => ({
      contents:
        'export function buildBpf() { throw new Error("the agent package ships its BPF objects ' +
        'prebuilt and this one is missing: reinstall the package") }',
      loader: 'js',
    }))
  },
}

// Bundled CommonJS (pino, prom-client) calls require(); an ES module has none of its own.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __patronusCreateRequire } from 'node:module';",
  'const require = __patronusCreateRequire(import.meta.url);',
].join('\n')

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

function checkVersion(pkg) {
  const source = readFileSync(join(AGENT, 'version.ts'), 'utf8')
  const version = /AGENT_VERSION = '([^']+)'/.exec(source)?.[1]
  if (version !== pkg.version) {
    throw new Error(
      `agent/package.json says ${pkg.version} but agent/version.ts says ${version}: make them agree`,
    )
  }
}

function copyAssets() {
  const wasmDir = join(ROOT, 'wasm/build')
  const wasm = readdirSync(wasmDir, { withFileTypes: true }).filter((f) => isShippedWasm(f.name))
  if (wasm.length === 0) throw new Error('no wasm/build/*.wasm: run `npm run build:wasm` first')
  mkdirSync(join(AGENT_DIST, 'wasm'), { recursive: true })
  for (const f of wasm) copyFileSync(join(wasmDir, f.name), join(AGENT_DIST, 'wasm', f.name))
  mkdirSync(join(AGENT_DIST, 'bpf'), { recursive: true })
  for (const object of buildBpf()) {
    copyFileSync(object, join(AGENT_DIST, 'bpf', object.split(sep).at(-1)))
  }
}

/** Builds agent/dist; returns the bundle's path. */
export async function buildAgent({ quiet = false } = {}) {
  const started = performance.now()
  const pkg = readJson(join(AGENT, 'package.json'))
  checkVersion(pkg)
  rmSync(AGENT_DIST, { recursive: true, force: true })
  const external = Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`])
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: AGENT_DIST,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    external,
    banner: { js: BANNER },
    plugins: [runtimeAssets],
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    legalComments: 'linked',
  })
  copyAssets()
  checkNoTsx(result.metafile)
  if (!quiet) {
    const ms = Math.round(performance.now() - started)
    for (const [file, out] of Object.entries(result.metafile.outputs)) {
      if (file.endsWith('.mjs')) console.log(`${file}  ${(out.bytes / 1024).toFixed(0)} KiB`)
    }
    console.log(`built agent/dist in ${ms} ms`)
  }
  return join(AGENT_DIST, 'patronus-agent.mjs')
}

/** The package runs plain JavaScript: tsx (the checkout's loader) must not have crept in. */
function checkNoTsx(metafile) {
  const tsx = Object.keys(metafile.inputs).filter((p) => /node_modules\/tsx\//.test(p))
  if (tsx.length > 0) throw new Error(`the bundle pulls in tsx (${tsx[0]}): a tsx stub was bundled`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAgent()
}
