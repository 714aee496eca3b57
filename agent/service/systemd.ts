/**
 * The host side of service management, injected so tests drive install/uninstall with a
 * fake `systemctl` and temporary paths: how commands run, where the unit goes, and whether
 * systemd is the running init (it is when /run/systemd/system exists, sd_booted(3)).
 */
import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { DEFAULT_UNIT_PATH } from './unit'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export type Exec = (cmd: string, args: string[]) => Promise<ExecResult>

export interface ServiceHost {
  exec: Exec
  unitPath: string
  systemdRunning(): Promise<boolean>
}

/** Runs a command; a non-zero exit is a result, not an exception (the caller explains it). */
export const execCommand: Exec = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const code =
        error === null ? 0 : typeof error.code === 'number' ? error.code : /* spawn failed */ 127
      resolve({
        code,
        stdout: String(stdout),
        stderr: String(stderr) || (error && code === 127 ? error.message : ''),
      })
    })
  })

export async function systemdIsRunning(marker = '/run/systemd/system'): Promise<boolean> {
  try {
    return (await stat(marker)).isDirectory()
  } catch {
    return false
  }
}

export function realServiceHost(): ServiceHost {
  return {
    exec: execCommand,
    unitPath: DEFAULT_UNIT_PATH,
    systemdRunning: () => systemdIsRunning(),
  }
}

export const NOT_SYSTEMD =
  'systemd is not the running init system (no /run/systemd/system), so the service cannot be ' +
  'managed here; use `install --print` to see the unit, or run `patronus-agent run` under ' +
  'your init system'
