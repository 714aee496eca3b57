/**
 * `npm run bench:agent`: what compiling the agent ahead of time buys at start-up. The same
 * agent two ways: from the sources through tsx (agent/bin/patronus-agent.js, the checkout)
 * and the esbuild bundle of the package (agent/dist/patronus-agent.mjs, `npm run build:agent`).
 * Per run, alternating the two so other work on the shared machine hits both:
 *   - `--help`: wall time to exit and peak RSS (/usr/bin/time);
 *   - `run --dry-run` against a loopback control plane (enrolled once beforehand): time from
 *     spawn to the first heartbeat the control plane receives, and the RSS then (VmRSS, VmHWM).
 * Refuses to run on a busy machine (1-minute load average above MAX_LOAD). Writes
 * bench/results/agent.json (every run) and the "Agent start-up" section of docs/benchmarks.md.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serveFakeControlPlane } from '../test/agent/control-plane-server'

const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 8)
const MAX_LOAD = Number(process.env.BENCH_AGENT_MAX_LOAD ?? 1.0)
const MODES = {
  tsx: ['agent/bin/patronus-agent.js'],
  bundle: ['agent/dist/patronus-agent.mjs'],
} as const
type Mode = keyof typeof MODES
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }

interface Sample {
  mode: Mode
  helpMs: number
  helpPeakRssMiB: number | null
  runFirstHeartbeatMs: number
  runRssMiB: number
  runPeakRssMiB: number
}

const load0 = loadavg()[0] ?? 0
if (load0 > MAX_LOAD) {
  console.error(
    `bench:agent: load average ${load0.toFixed(2)} > ${MAX_LOAD}: the machine is busy, not measuring ` +
      '(BENCH_AGENT_MAX_LOAD to override)',
  )
  process.exit(1)
}

execFileSync(process.execPath, ['scripts/build-agent.mjs'], { stdio: 'inherit' })
const dir = mkdtempSync(join(tmpdir(), 'patronus-bench-agent-'))
const served = await serveFakeControlPlane()

function mib(kib: number): number {
  return Math.round((kib / 1024) * 10) / 10
}

function help(mode: Mode): { ms: number; peakRssMiB: number | null } {
  const hasTime = existsSync('/usr/bin/time')
  const argv = [process.execPath, ...MODES[mode], '--help']
  const started = performance.now()
  const out = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', ...argv], { env: ENV, encoding: 'utf8' })
    : spawnSync(argv[0]!, argv.slice(1), { env: ENV, encoding: 'utf8' })
  const ms = performance.now() - started
  if (out.status !== 0) throw new Error(`${mode} --help exited ${out.status}: ${out.stderr}`)
  const rss = /maxrss=(\d+)/.exec(out.stderr ?? '')?.[1]
  return { ms, peakRssMiB: rss ? mib(Number(rss)) : null }
}

function procStatus(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
}

async function run(
  mode: Mode,
  stateDir: string,
): Promise<Omit<Sample, 'mode' | 'helpMs' | 'helpPeakRssMiB'>> {
  const before = served.cp.heartbeats.length
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [...MODES[mode], 'run', '--dry-run', '--insecure-http', '--state-dir', stateDir],
    { env: ENV, stdio: 'ignore' },
  )
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const deadline = started + 30_000
  while (served.cp.heartbeats.length === before && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2))
  }
  const firstHeartbeatMs = performance.now() - started
  if (served.cp.heartbeats.length === before) throw new Error(`${mode}: no heartbeat in 30 s`)
  const rss = procStatus(child.pid!, 'VmRSS')
  const peak = procStatus(child.pid!, 'VmHWM')
  child.kill('SIGTERM')
  await exited
  return { runFirstHeartbeatMs: firstHeartbeatMs, runRssMiB: mib(rss), runPeakRssMiB: mib(peak) }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const round = (x: number) => Math.round(x * 10) / 10

const samples: Sample[] = []
const started = Date.now()
try {
  const stateDir = join(dir, 'state')
  // Asynchronously: the control plane answering it lives in this process's event loop.
  await promisify(execFile)(
    process.execPath,
    [
      ...MODES.bundle,
      'enroll',
      '--server',
      served.url,
      '--token',
      served.cp.validToken,
      '--insecure-http',
      '--state-dir',
      stateDir,
    ],
    { env: ENV },
  )
  for (let i = 0; i < RUNS; i++) {
    const order: Mode[] = i % 2 === 0 ? ['tsx', 'bundle'] : ['bundle', 'tsx']
    for (const mode of order) {
      const h = help(mode)
      const r = await run(mode, stateDir)
      samples.push({ mode, helpMs: round(h.ms), helpPeakRssMiB: h.peakRssMiB, ...r })
      samples[samples.length - 1]!.runFirstHeartbeatMs = round(r.runFirstHeartbeatMs)
    }
  }
} finally {
  await served.close()
  rmSync(dir, { recursive: true, force: true })
}

const summary = Object.fromEntries(
  (Object.keys(MODES) as Mode[]).map((mode) => {
    const of = samples.filter((s) => s.mode === mode)
    const pick = (k: keyof Sample) => round(median(of.map((s) => Number(s[k] ?? 0))))
    return [
      mode,
      {
        helpMs: pick('helpMs'),
        helpPeakRssMiB: pick('helpPeakRssMiB'),
        runFirstHeartbeatMs: pick('runFirstHeartbeatMs'),
        runRssMiB: pick('runRssMiB'),
        runPeakRssMiB: pick('runPeakRssMiB'),
      },
    ]
  }),
) as unknown as Record<Mode, Record<string, number>>

const results = {
  generatedAt: new Date(started).toISOString(),
  durationS: Math.round((Date.now() - started) / 1000),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg1mStart: round(load0),
    loadavg1mEnd: round(loadavg()[0] ?? 0),
  },
  runs: RUNS,
  medians: summary,
  samples,
}
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/agent.json', `${JSON.stringify(results, null, 2)}\n`)

const START = '<!-- bench:agent:start -->'
const END = '<!-- bench:agent:end -->'
const row = (label: string, k: string, unit: string) =>
  `| ${label} (${unit}) | ${summary.tsx[k]} | ${summary.bundle[k]} |`
const markdown = [
  START,
  '## Agent start-up (`bench:agent`)',
  '',
  'Generated by `npm run bench:agent` (bench/agent.ts); raw figures in `bench/results/agent.json`.',
  '',
  `Run ${results.generatedAt} (${results.durationS} s) on ${results.machine.cpus} cores ` +
    `(${results.machine.cpuModel}), Node ${results.machine.node}; load average ` +
    `${results.machine.loadavg1mStart} at start, ${results.machine.loadavg1mEnd} at the end.`,
  '',
  `The agent from the sources through tsx (\`agent/bin/patronus-agent.js\`) against the`,
  `package's bundle (\`agent/dist/patronus-agent.mjs\`), ${RUNS} runs each, alternating; medians.`,
  '`run --dry-run` runs against a loopback control plane and is timed from spawn to the first',
  'heartbeat the control plane receives; its RSS is read from /proc at that moment.',
  '',
  '| measure | tsx (sources) | bundle (package) |',
  '|---|---:|---:|',
  row('`--help` wall time', 'helpMs', 'ms'),
  row('`--help` peak RSS', 'helpPeakRssMiB', 'MiB'),
  row('`run --dry-run` to first heartbeat', 'runFirstHeartbeatMs', 'ms'),
  row('`run --dry-run` RSS at first heartbeat', 'runRssMiB', 'MiB'),
  row('`run --dry-run` peak RSS by then', 'runPeakRssMiB', 'MiB'),
  '',
  '- tsx keeps its transforms in an on-disk cache, so the tsx figures are warm-cache figures:',
  '  the first start after a change to the sources is slower still.',
  '- The bundle still loads the native packages (onnxruntime-node, koffi, netlink) when the',
  '  code that needs them runs; `--help` loads none of them in either mode.',
  END,
].join('\n')
const docs = 'docs/benchmarks.md'
const current = readFileSync(docs, 'utf8')
const a = current.indexOf(START)
const b = current.indexOf(END)
writeFileSync(
  docs,
  a >= 0 && b > a
    ? current.slice(0, a) + markdown + current.slice(b + END.length)
    : `${current.replace(/\n*$/, '\n')}\n${markdown}\n`,
)
console.log(JSON.stringify(summary, null, 2))
console.log('bench:agent: wrote bench/results/agent.json and docs/benchmarks.md')
