/**
 * File primitives for the state directory: atomic writes (tmp file, fsync, rename) so a
 * crash or power loss never leaves a half-written cache or key, private file modes (0600)
 * and a private directory (0700), and JSON reads validated with zod that turn a corrupt
 * file into a clear StateError instead of a crash.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { z } from 'zod'
import { StateError } from './errors'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/**
 * Creates the state directory with mode 0700, or checks an existing one. An existing
 * directory that other users can read is refused rather than chmod-ed: it may be shared
 * (an operator typo such as `--state-dir /tmp`), and private keys must not land there.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  } catch (error) {
    throw new StateError(`create state directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const info = await stat(dir)
  if (!info.isDirectory()) throw new StateError(`state directory ${dir} is not a directory`)
  if ((info.mode & 0o077) !== 0) {
    // mkdir's mode is filtered by the umask only to remove bits, so a directory we just
    // made is never wider than 0700; a wider one pre-existed.
    throw new StateError(
      `state directory ${dir} is accessible by other users (mode ${(info.mode & 0o777).toString(8)}); ` +
        `run \`chmod 700 ${dir}\` or choose another --state-dir`,
    )
  }
}

/** Writes `data` to `path` atomically with mode 0600 (tmp file in the same dir + rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', PRIVATE_FILE_MODE)
  try {
    await handle.writeFile(data)
    // The umask can only narrow the mode, but an inherited ACL or a pre-0600 umask cannot
    // widen it either; chmod anyway so the mode is exactly 0600 whatever the environment.
    await handle.chmod(PRIVATE_FILE_MODE)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`)
}

/** Reads and validates a JSON file; undefined when it does not exist. */
export async function readJson<T>(
  path: string,
  schema: z.ZodType<T>,
  what: string,
): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StateError(`read ${what} ${path}: ${(error as Error).message}`, { cause: error })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new StateError(`${what} ${path} is corrupt (not JSON); delete it or re-run sync`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'
    throw new StateError(`${what} ${path} is corrupt (${where}); delete it or re-run sync`)
  }
  return parsed.data
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
