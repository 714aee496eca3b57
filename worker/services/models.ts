/**
 * Failure-prediction models served to agents. The store is chosen by the entry
 * point: on Node, the shipped `models/` directory (worker/node-models.ts); on Workers, none
 * (a model is not bundled into the Worker: agents get `model: null` and stay reactive-only,
 * and GET /v1/agent/models/{id} answers 404 saying so). The current model is an instance
 * setting (PATRONUS_MODEL), the same for every site.
 */
import type { ModelDocument, ModelRef } from '../../protocol/agent'
import { ProblemError } from '../errors'

export interface ModelStore {
  /** The model every desired state names; null: none (reactive failover only). */
  readonly current: ModelRef | null
  /** The model's document, or undefined when this store has no such model. */
  document(id: string): Promise<ModelDocument | undefined>
}

export async function modelDocument(
  store: ModelStore | undefined,
  id: string,
): Promise<ModelDocument> {
  if (!store) {
    throw new ProblemError(
      'not-found',
      `model ${id} is not served here: this control plane (Cloudflare Workers) does not serve prediction models; agents run reactive failover only`,
    )
  }
  const doc = await store.document(id)
  if (!doc) throw new ProblemError('not-found', `model ${id} does not exist`)
  return doc
}
