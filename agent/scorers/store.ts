/**
 * Scorer plugin bytes for the versions the desired state names, from the state directory's
 * cache (`<state dir>/scorers/<id>-<sha256 prefix>.wasm`) or the control plane. Whatever
 * the source, the bytes are checked against the desired state's SHA-256 before anyone uses
 * them: a corrupt cache file is dropped and fetched again, a mismatching answer is refused
 * and never cached. The cache lets a restarted agent run its plugins with the control plane
 * away (fail-static), like the prediction model's.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ScorerRef } from '../../protocol/agent'
import type { Logger } from '../logger'
import { writeFileAtomic } from '../state/files'

export type FetchScorer = (id: string, signal?: AbortSignal) => Promise<Uint8Array>

export class ScorerHashError extends Error {
  override readonly name = 'ScorerHashError'
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const FILE_PATTERN = /^scr_[0-9a-f]{28}-[0-9a-f]{16}\.wasm$/

export class ScorerStore {
  constructor(
    private readonly dir: string,
    private readonly fetchScorer: FetchScorer,
    private readonly log: Logger,
  ) {}

  /** The verified bytes of `ref`, and where they came from. */
  async get(
    ref: ScorerRef,
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; source: 'cache' | 'fetched' }> {
    const cached = await this.#fromCache(ref)
    if (cached) return { bytes: cached, source: 'cache' }
    const bytes = await this.fetchScorer(ref.id, signal)
    const got = sha256Hex(bytes)
    if (got !== ref.sha256) {
      throw new ScorerHashError(
        `scorer ${ref.name} version ${ref.id}: the bytes hash to ${got}, the desired state names ${ref.sha256}`,
      )
    }
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      await writeFileAtomic(this.#fileOf(ref), bytes)
    } catch (error) {
      // Caching is an optimisation: the verified plugin runs anyway.
      this.log.warn({ scorer: ref.name, err: (error as Error).message }, 'cache scorer plugin')
    }
    return { bytes, source: 'fetched' }
  }

  /** Removes cached versions other than `keep` (old versions are never named again). */
  async prune(keep: readonly ScorerRef[]): Promise<void> {
    const wanted = new Set(keep.map((r) => this.#fileOf(r)))
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return
    }
    for (const name of names) {
      const file = join(this.dir, name)
      if (FILE_PATTERN.test(name) && !wanted.has(file)) await rm(file, { force: true })
    }
  }

  async #fromCache(ref: ScorerRef): Promise<Uint8Array | undefined> {
    const file = this.#fileOf(ref)
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await readFile(file))
    } catch {
      return undefined
    }
    if (sha256Hex(bytes) === ref.sha256) return bytes
    this.log.warn(
      { scorer: ref.name, file },
      'cached scorer plugin does not match its hash: fetching it again',
    )
    await rm(file, { force: true })
    return undefined
  }

  #fileOf(ref: ScorerRef): string {
    return join(this.dir, `${ref.id}-${ref.sha256.slice(0, 16)}.wasm`)
  }
}
