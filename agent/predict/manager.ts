/**
 * Model distribution on the agent: the desired state names a model (id, sha256);
 * the manager makes the predictor run exactly that model, or none.
 * - Named and cached in the state directory with the right hash: loaded from there (no
 *   network, so a restart with the control plane away still predicts: fail-static).
 * - Named, not cached (or the cache is corrupt): fetched (GET /v1/agent/models/{id}),
 *   verified against the desired state's sha256, cached atomically, then swapped in while
 *   the agent runs (the predictor's windows keep their history).
 * - Any refusal (wrong hash, not ONNX, other features, fetch error) is logged with its
 *   reason and leaves the agent reactive-only: it never runs a model the desired state does
 *   not name. A failed fetch is retried every retryMs while the desired state still names
 *   the model.
 * - Not named (null/absent, e.g. PATRONUS_MODEL=none): the model is unloaded.
 * Requests are serialised; a newer desired state supersedes a pending one.
 */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelRef } from '../../protocol/agent'
import type { Clock } from '../clock'
import type { Logger } from '../logger'
import { writeFileAtomic } from '../state/files'
import {
  loadModel,
  ModelError,
  type ModelManifest,
  type PredictionModel,
  parseManifest,
} from './model'

/** What the control plane sent: the manifest is checked here (parseManifest). */
export interface ModelBundle {
  manifest: unknown
  onnx: Uint8Array
}

export type FetchModel = (id: string, signal?: AbortSignal) => Promise<ModelBundle>

export interface ModelTarget {
  setModel(model: PredictionModel | null): void
}

export interface ModelManagerOptions {
  target: ModelTarget
  /** Directory of cached models (the state directory's `models/`). */
  cacheDir: string
  fetchModel: FetchModel
  clock: Clock
  logger: Logger
  retryMs?: number
}

export const MODEL_RETRY_MS = 30_000

export type ModelStatus =
  | { state: 'none' }
  | { state: 'loaded'; id: string; sha256: string; source: 'cache' | 'fetched' }
  | { state: 'refused'; id: string; error: string }

export class ModelManager {
  readonly #o: ModelManagerOptions
  readonly #log: Logger
  #wanted: ModelRef | null = null
  #loaded: PredictionModel | null = null
  #queue: Promise<void> = Promise.resolve()
  #retry: AbortController | undefined
  #closed = false
  status: ModelStatus = { state: 'none' }

  constructor(options: ModelManagerOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'predict' })
  }

  /** Makes the target run `ref` (or nothing); resolves once this request is handled. */
  want(ref: ModelRef | null | undefined): Promise<void> {
    this.#wanted = ref ?? null
    this.#retry?.abort()
    const run = this.#queue.then(() => this.#reconcile())
    this.#queue = run.catch(() => {})
    return run
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#retry?.abort()
    await this.#queue
    await this.#unload()
  }

  async #reconcile(): Promise<void> {
    const want = this.#wanted
    if (this.#closed) return
    if (!want) {
      if (this.#loaded) this.#log.info({ model: this.#loaded.id }, 'no model named: reactive only')
      await this.#unload()
      this.status = { state: 'none' }
      return
    }
    if (this.#loaded?.id === want.id && this.#loaded.sha256 === want.sha256) return
    // Whatever happens next, the old model is not what the desired state names.
    await this.#unload()
    try {
      const cached = await this.#fromCache(want)
      const model = cached ?? (await this.#fetch(want))
      if (this.#wanted !== want || this.#closed) {
        await model.release()
        return
      }
      this.#loaded = model
      this.#o.target.setModel(model)
      this.status = {
        state: 'loaded',
        id: model.id,
        sha256: model.sha256,
        source: cached ? 'cache' : 'fetched',
      }
      this.#log.info(
        { model: model.id, sha256: model.sha256, source: this.status.source },
        'model loaded: predictive failover on',
      )
    } catch (error) {
      const message = (error as Error).message
      this.status = { state: 'refused', id: want.id, error: message }
      this.#log.error({ model: want.id, err: message }, 'model refused: reactive failover only')
      this.#scheduleRetry(want)
    }
  }

  async #fromCache(want: ModelRef): Promise<PredictionModel | null> {
    const dir = this.#dirOf(want)
    let onnx: Uint8Array
    let manifest: ModelManifest
    try {
      onnx = await readFile(join(dir, 'model.onnx'))
      manifest = parseManifest(
        JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')),
        `${dir}/model.json`,
      )
    } catch {
      return null
    }
    try {
      return await loadModel(onnx, manifest, want.sha256)
    } catch (error) {
      // A corrupt cache is not fatal: drop it and fetch again.
      this.#log.warn({ model: want.id, err: (error as Error).message }, 'cached model refused')
      await rm(dir, { recursive: true, force: true })
      return null
    }
  }

  async #fetch(want: ModelRef): Promise<PredictionModel> {
    const bundle = await this.#o.fetchModel(want.id)
    const manifest = parseManifest(bundle.manifest, `of model ${want.id} from the control plane`)
    if (manifest.id !== want.id) {
      throw new ModelError(`model ${want.id}: the control plane sent model ${manifest.id}`)
    }
    // Verified before anything is written: the cache only ever holds models that passed.
    const model = await loadModel(bundle.onnx, manifest, want.sha256)
    const dir = this.#dirOf(want)
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await writeFileAtomic(join(dir, 'model.onnx'), bundle.onnx)
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(manifest))
    } catch (error) {
      // Caching is an optimisation: the verified model runs anyway.
      this.#log.warn({ model: want.id, err: (error as Error).message }, 'cache model')
    }
    return model
  }

  #scheduleRetry(want: ModelRef): void {
    const retry = new AbortController()
    this.#retry = retry
    void this.#o.clock.sleep(this.#o.retryMs ?? MODEL_RETRY_MS, retry.signal).then(() => {
      if (retry.signal.aborted || this.#closed || this.#wanted !== want) return
      this.#queue = this.#queue.then(() => this.#reconcile()).catch(() => {})
    })
  }

  async #unload(): Promise<void> {
    const old = this.#loaded
    if (!old) return
    this.#loaded = null
    this.#o.target.setModel(null)
    await old.release().catch(() => {})
  }

  #dirOf(ref: ModelRef): string {
    return join(this.#o.cacheDir, `${ref.id}-${ref.sha256.slice(0, 16)}`)
  }
}
