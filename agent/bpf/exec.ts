/**
 * Running tc and bpftool. No npm package loads tc programs (the `bpf` package only reads and
 * writes maps of programs loaded by something else, and is not installed), so the loader
 * drives iproute2's `tc` and `bpftool -j` through execFile, in a network namespace when asked.
 * bpftool's `batch` writes a whole reconfig in one process.
 */
import { execFile } from 'node:child_process'

export interface CommandResult {
  stdout: string
  stderr: string
}

export type CommandRunner = (
  cmd: string,
  args: string[],
  options?: { input?: string; timeoutMs?: number },
) => Promise<CommandResult>

export class BpfCommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message)
    this.name = 'BpfCommandError'
  }
}

export const execRunner: CommandRunner = (cmd, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: options.timeoutMs ?? 15_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = String(stderr).trim().split('\n').slice(-6).join(' | ')
          reject(
            new BpfCommandError(
              `${cmd} ${args.slice(0, 6).join(' ')}: ${detail || err.message}`,
              String(stderr),
            ),
          )
        } else resolve({ stdout: String(stdout), stderr: String(stderr) })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
  })

/** tc, `tc -n NS` in a namespace. */
export function tcArgs(netns: string | undefined, args: string[]): [string, string[]] {
  return ['tc', netns ? ['-n', netns, ...args] : args]
}

/** bpftool needs the namespace's /sys untouched: nsenter, not `ip netns exec` (docs/lab.md). */
export function bpftoolArgs(netns: string | undefined, args: string[]): [string, string[]] {
  return netns
    ? ['nsenter', [`--net=/var/run/netns/${netns}`, 'bpftool', ...args]]
    : ['bpftool', args]
}

export function hex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')
}

/** bpftool -j prints bytes as ["0x01", ...]. */
export function fromHexList(list: unknown): Buffer {
  if (!Array.isArray(list)) throw new Error('bpftool: expected a byte list')
  return Buffer.from(list.map((x) => Number.parseInt(String(x), 16)))
}
