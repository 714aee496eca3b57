/**
 * The process entry point (loaded by bin/patronus.js): wires the real process into the
 * CLI and turns SIGINT/SIGTERM into an abort, so `events --follow` ends with exit 0.
 */
import { abortableSleep } from './io'
import { runPatronus } from './run'

const stop = new AbortController()
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort())

const code = await runPatronus(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  fetch: (input, init) => fetch(input, init),
  sleep: abortableSleep,
  signal: stop.signal,
})
process.exitCode = code
// Keep-alive sockets of the global fetch would hold the process open for a few seconds.
setImmediate(() => process.exit(code)).unref()
