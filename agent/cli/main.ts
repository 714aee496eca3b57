/**
 * The process entry point (loaded by bin/patronus-agent.js): wires the real process into
 * the CLI (stdout/stderr, environment, global fetch, system clock) and turns SIGTERM and
 * SIGINT into an abort signal so the daemon stops cleanly.
 */
import { hostname } from 'node:os'
import { systemClock } from '../clock'
import { runCli } from './cli'

const stop = new AbortController()
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => stop.abort())
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  fetch: (input, init) => fetch(input, init),
  clock: systemClock,
  hostname,
  signal: stop.signal,
})
// exitCode, not exit(): let pino and stdout flush before the process ends.
process.exitCode = code
// Keep-alive sockets of the global fetch would hold the process open after the daemon stops.
if (stop.signal.aborted || code !== 0) setImmediate(() => process.exit(code)).unref()
