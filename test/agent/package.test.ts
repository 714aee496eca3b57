/**
 * The agent as a product: builds @patronus/agent (scripts/build-agent.mjs), packs it with
 * `npm pack`, installs the tarball into an empty directory outside the repository and runs
 * the installed `patronus-agent` (plain JavaScript, no tsx): --version, --help, enroll and
 * `run --dry-run` against a control plane on loopback, and a scorer sandbox worker from the
 * package loading the example plugin.
 *
 * The install is agent-package.ts's (offline: the declared dependencies linked from this
 * checkout), so a package the bundle needs but does not declare fails here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_VERSION } from '../../agent/version'
import { exampleScore } from '../../wasm/plugin/example'
import { installTarball, packAgent } from './agent-package'
import { type ServedControlPlane, serveFakeControlPlane } from './control-plane-server'

const exec = promisify(execFile)
const REPO = process.cwd()
// The child sees the environment of a host, not of this test runner (no vitest loaders).
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }

let dir: string
let bin: string
let packageDir: string
let tarballFiles: string[]
let served: ServedControlPlane
const children: ChildProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patronus-agent-pkg-'))
  const packed = await packAgent(dir)
  tarballFiles = packed.files
  const site = join(dir, 'site')
  bin = await installTarball(packed.tarball, site)
  packageDir = join(site, 'node_modules', '@patronus', 'agent')
  served = await serveFakeControlPlane()
}, 60_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await served?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const agent = (...args: string[]) => exec(bin, args, { cwd: dirname(bin), env: ENV })

describe('the packed agent, installed', () => {
  it('ships compiled JavaScript and its run-time assets, not the sources', () => {
    expect(tarballFiles).toContain('dist/patronus-agent.mjs')
    expect(tarballFiles).toContain('dist/sandbox-boot.mjs')
    for (const asset of ['fec', 'lz4', 'score']) {
      expect(tarballFiles).toContain(`dist/wasm/${asset}.wasm`)
    }
    expect(tarballFiles).toContain('dist/bpf/classifier.o')
    expect(tarballFiles).toContain('dist/bpf/qos.o')
    expect(tarballFiles.filter((f) => f.endsWith('.ts'))).toEqual([])
  })

  it('answers --version and --help', async () => {
    expect((await agent('--version')).stdout).toBe(`patronus-agent ${AGENT_VERSION}\n`)
    const help = (await agent('--help')).stdout
    expect(help).toMatch(/^Usage: patronus-agent <command> \[options\]/)
    expect(help).toContain('enroll    enroll this site with a control plane')
  })

  it('enrolls, then runs --dry-run through a sync and a heartbeat, and stops on SIGTERM', async () => {
    const stateDir = join(dir, 'state')
    const common = ['--state-dir', stateDir, '--insecure-http']
    await agent('enroll', '--server', served.url, '--token', served.cp.validToken, ...common)
    const child = spawn(bin, ['run', '--dry-run', ...common], { cwd: dir, env: ENV })
    children.push(child)
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const deadline = Date.now() + 20_000
    while (served.cp.heartbeats.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(served.cp.heartbeats.length).toBeGreaterThan(0)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const starting = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; pipeline?: string; version?: string })
      .find((line) => line.msg === 'agent starting')
    expect(starting?.pipeline).toBe('dry-run')
  })

  it('runs a scorer sandbox worker from the package (built JavaScript, no tsx)', async () => {
    const component = join(REPO, 'wasm/build/scorer-example.component.wasm')
    const metrics = {
      latencyMs: 20,
      jitterMs: 2,
      loss: 0.001,
      bandwidthMbps: 100,
      cost: 1,
      mos: 4.3,
    }
    // The protocol of agent/scorers/sandbox-protocol.ts, spoken to the packaged worker entry.
    const script = `
      import { Worker } from 'node:worker_threads'
      import { readFileSync } from 'node:fs'
      const worker = new Worker(${JSON.stringify(join(packageDir, 'dist/sandbox-boot.mjs'))}, {
        workerData: { component: new Uint8Array(readFileSync(${JSON.stringify(component)})) },
      })
      const m = ${JSON.stringify(metrics)}
      worker.on('message', (msg) => {
        if (msg.type === 'ready') {
          const metrics = new Float64Array([m.latencyMs, m.jitterMs, m.loss, m.bandwidthMbps, m.cost, m.mos])
          worker.postMessage({ type: 'score', seq: 1, metrics })
        } else {
          console.log(JSON.stringify({ type: msg.type, scores: msg.scores ? [...msg.scores] : undefined, message: msg.message }))
          void worker.terminate()
        }
      })
      worker.on('error', (e) => { console.log(JSON.stringify({ type: 'crash', message: e.message })); process.exit(1) })
    `
    // A file, not -e: a worker inherits the parent's execArgv, and --input-type with it.
    const probe = join(dir, 'scorer-probe.mjs')
    await writeFile(probe, script)
    const { stdout } = await exec(process.execPath, [probe], { cwd: packageDir, env: ENV })
    const answer = JSON.parse(stdout) as { type: string; scores?: number[] }
    expect(answer).toEqual({ type: 'scores', scores: [exampleScore(metrics)] })
  })
})
