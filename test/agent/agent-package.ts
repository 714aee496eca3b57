/**
 * The agent package as a site installs it, for tests: build @patronus/agent
 * (scripts/build-agent.mjs), `npm pack` it, and install the tarball into an empty directory
 * outside the repository.
 *
 * The install is offline: the tarball is unpacked where npm would put it and each of the
 * package's `dependencies` is linked from this checkout's node_modules (npm install
 * --offline cannot resolve them without a warm npm cache). Only the declared dependencies
 * are linked, so a package the bundle needs but does not declare fails the tests.
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, readFile, realpath, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const REPO = process.cwd()

/** Builds and packs the agent into `into`: the tarball's path and the files it holds. */
export async function packAgent(into: string): Promise<{ tarball: string; files: string[] }> {
  await exec(process.execPath, [join(REPO, 'scripts/build-agent.mjs')], { cwd: REPO })
  const { stdout } = await exec(
    'npm',
    ['pack', './agent', '--json', '--pack-destination', into, '--offline'],
    { cwd: REPO },
  )
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  if (!packed) throw new Error('npm pack ./agent printed no package')
  return { tarball: join(into, packed.filename), files: packed.files.map((f) => f.path) }
}

/** Installs the tarball under `into` (node_modules/...); the installed bin's path. */
export async function installTarball(tarball: string, into: string): Promise<string> {
  const target = join(into, 'node_modules', '@patronus', 'agent')
  await mkdir(target, { recursive: true })
  await exec('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
  const pkg = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as {
    bin: Record<string, string>
    dependencies?: Record<string, string>
  }
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const link = join(into, 'node_modules', name)
    await mkdir(dirname(link), { recursive: true })
    await symlink(await realpath(join(REPO, 'node_modules', name)), link)
  }
  // What npm does for a bin on install: a link in node_modules/.bin, made executable.
  const binDir = join(into, 'node_modules', '.bin')
  await mkdir(binDir, { recursive: true })
  const script = join(target, pkg.bin['patronus-agent'] ?? 'dist/patronus-agent.mjs')
  await chmod(script, 0o755)
  await symlink(script, join(binDir, 'patronus-agent'))
  return join(binDir, 'patronus-agent')
}
