/**
 * Fetching a failure-prediction model: `GET /v1/agent/models/{id}` through the
 * artifact fetcher (signed, capped, timed). The answer is validated at this boundary
 * (protocol modelDocumentSchema, the id); the hash and the manifest are checked by
 * agent/predict before use.
 */
import { AGENT_PATHS, modelDocumentSchema } from '../../protocol/agent'
import { type ArtifactFetcherOptions, createArtifactFetcher } from './artifacts'
import { ProtocolError } from './errors'

/** Models are kilobytes; anything past this is not one of ours. */
export const MAX_MODEL_DOCUMENT_BYTES = 16 * 1024 * 1024

export interface FetchedModel {
  manifest: unknown
  onnx: Uint8Array
}

const decoder = new TextDecoder()

export function createModelFetcher(
  options: ArtifactFetcherOptions & {
    /** Cap of the model document (MAX_MODEL_DOCUMENT_BYTES by default). */
    maxBytes?: number
  },
): (id: string, signal?: AbortSignal) => Promise<FetchedModel> {
  return createArtifactFetcher(options, {
    path: AGENT_PATHS.models,
    noun: 'model',
    accept: 'application/json',
    maxBytes: options.maxBytes ?? MAX_MODEL_DOCUMENT_BYTES,
    decode(bytes, id, what) {
      let raw: unknown
      try {
        raw = JSON.parse(decoder.decode(bytes))
      } catch {
        throw new ProtocolError(`${what}: the answer is not JSON`)
      }
      const parsed = modelDocumentSchema.safeParse(raw)
      if (!parsed.success) {
        const first = parsed.error.issues[0]
        throw new ProtocolError(`${what}: ${first?.path.join('.')}: ${first?.message}`)
      }
      if (parsed.data.id !== id) throw new ProtocolError(`${what}: got model ${parsed.data.id}`)
      return { manifest: parsed.data.manifest, onnx: Buffer.from(parsed.data.onnx, 'base64') }
    },
  })
}
