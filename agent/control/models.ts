/**
 * Fetching a failure-prediction model: `GET /v1/agent/models/{id}`, signed like
 * every agent request. The answer is validated at this boundary (a byte cap checked on the
 * declared Content-Length and while streaming, then protocol modelDocumentSchema); the
 * hash and the manifest are checked by agent/predict before use, after the size check.
 */
import { randomBytes } from 'node:crypto'
import { AGENT_PATHS, modelDocumentSchema } from '../../protocol/agent'
import { type AgentSigner, signRequest } from '../../protocol/signing'
import type { Clock } from '../clock'
import { readJsonCapped } from './body'
import { joinUrl } from './client'
import { ProtocolError } from './errors'
import { problemFrom } from './problem'
import { PROTOCOL_HEADERS } from './protocol-header'
import { checkServerUrl } from './server-url'
import { exchange, type FetchLike } from './transport'

/** Models are kilobytes; anything past this is not one of ours. */
export const MAX_MODEL_DOCUMENT_BYTES = 16 * 1024 * 1024

export interface FetchedModel {
  manifest: unknown
  onnx: Uint8Array
}

export function createModelFetcher(options: {
  serverUrl: string
  signer: AgentSigner
  fetch: FetchLike
  clock: Clock
  timeoutMs?: number
  /** Allow an http:// serverUrl (labs, tests); otherwise it throws InsecureServerUrlError. */
  allowInsecureHttp?: boolean
  /** Cap of the model document (MAX_MODEL_DOCUMENT_BYTES by default). */
  maxBytes?: number
}): (id: string, signal?: AbortSignal) => Promise<FetchedModel> {
  checkServerUrl(options.serverUrl, options.allowInsecureHttp)
  const maxBytes = options.maxBytes ?? MAX_MODEL_DOCUMENT_BYTES
  return async (id, signal) => {
    const url = joinUrl(options.serverUrl, `${AGENT_PATHS.models}/${encodeURIComponent(id)}`)
    const headers = { accept: 'application/json', ...PROTOCOL_HEADERS }
    const created = Math.floor(options.clock.now() / 1000)
    const signed = await signRequest(
      { method: 'GET', url, headers, body: new Uint8Array() },
      options.signer,
      created,
      randomBytes(16).toString('base64url'),
    )
    const what = `fetch model ${id}`
    const raw = await exchange(
      options.fetch,
      options.clock,
      url,
      { method: 'GET', headers: signed },
      options.timeoutMs ?? 60_000,
      signal,
      async (response) => {
        if (response.status !== 200) throw await problemFrom(response, what)
        return readJsonCapped(response, maxBytes, what)
      },
    )
    const parsed = modelDocumentSchema.safeParse(raw)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      throw new ProtocolError(`${what}: ${first?.path.join('.')}: ${first?.message}`)
    }
    if (parsed.data.id !== id) throw new ProtocolError(`${what}: got model ${parsed.data.id}`)
    return { manifest: parsed.data.manifest, onnx: Buffer.from(parsed.data.onnx, 'base64') }
  }
}
