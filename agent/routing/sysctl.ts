/**
 * Kernel settings the mesh relies on, read and written through /proc/sys (no `sysctl`
 * process). /proc/sys/net is per network namespace of the calling process, so an agent in
 * a lab site namespace changes that namespace only. Keys are paths below /proc/sys
 * (`net/ipv4/conf/<ifname>/rp_filter`), never dotted names: an interface name may hold a dot.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface Sysctl {
  /** The value, trimmed; undefined when the key does not exist. */
  read(key: string): Promise<string | undefined>
  write(key: string, value: string): Promise<void>
}

export class SysctlError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SysctlError'
  }
}

function checkKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').includes('..')) {
    throw new SysctlError(`sysctl key ${JSON.stringify(key)} is not a /proc/sys path`)
  }
}

export function procSysctl(root = '/proc/sys'): Sysctl {
  return {
    async read(key) {
      checkKey(key)
      try {
        return (await readFile(join(root, key), 'utf8')).trim()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new SysctlError(`read ${key}: ${(error as Error).message}`, { cause: error })
      }
    },
    async write(key, value) {
      checkKey(key)
      try {
        await writeFile(join(root, key), `${value}\n`)
      } catch (error) {
        throw new SysctlError(`write ${key}=${value}: ${(error as Error).message}`, {
          cause: error,
        })
      }
    },
  }
}

/** In-memory sysctl for tests. */
export function memorySysctl(initial: Record<string, string> = {}): Sysctl & {
  values: Map<string, string>
} {
  const values = new Map(Object.entries(initial))
  return {
    values,
    async read(key) {
      return values.get(key)
    },
    async write(key, value) {
      values.set(key, value)
    },
  }
}
