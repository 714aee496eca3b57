// Build every AssemblyScript module under wasm/<module>/assembly/index.ts into wasm/build/, then
// turn the example scorer plugin into a WebAssembly component. Compiled output is generated and
// gitignored: this script is the only way it comes into being (`npm run build`, run by pretest).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { componentEmbed, componentNew } from '@bytecodealliance/jco'
import asc from 'assemblyscript/asc'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'build')

// The hot-loop modules: SIMD on, no GC (callers own memory through a bump arena), no asserts.
const hotModules = ['fec', 'lz4', 'score']
const common = ['-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd']

async function compile(entry, outFile, extra = []) {
  const args = [entry, '--outFile', outFile, ...common, ...extra]
  const { error, stderr } = await asc.main(args)
  if (error) {
    throw new Error(`asc ${entry}: ${error.message}\n${stderr.toString()}`)
  }
}

await mkdir(out, { recursive: true })
for (const name of hotModules) {
  await compile(join(here, name, 'assembly', 'index.ts'), join(out, `${name}.wasm`))
}

// Example scorer plugin: an AssemblyScript core module with no imports, given the
// patronus:scorer world by `jco embed` and wrapped into a component by `jco new`.
const pluginCore = join(out, 'scorer-example.core.wasm')
await compile(join(here, 'plugin', 'assembly', 'example.ts'), pluginCore)
const embedded = await componentEmbed({
  binary: await readFile(pluginCore),
  witPath: join(here, 'plugin', 'wit'),
  world: 'scorer',
})
await writeFile(join(out, 'scorer-example.component.wasm'), await componentNew(embedded))
console.log(`wasm: built ${hotModules.join(', ')} and scorer-example component in ${out}`)
