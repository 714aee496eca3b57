/**
 * Fetching a failure-prediction model (issue 9): `GET /v1/agent/models/{id}`, signed like
 * every agent request. The answer is validated at this boundary (protocol modelDocumentSchema
 * and a size cap); the hash and the manifest are checked by agent/predict before use.
 */
import { randomBytes } from 'node:crypto'
import { AGENT_PATHS, modelDocumentSchema } from '../../protocol/agent'
import { type AgentSigner, signRequest } from '../../protocol/signing'
import type { Clock } from '../clock'
import { joinUrl } from './client'
import { ProtocolError } from './errors'
import { problemFrom } from './problem'
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
}): (id: string, signal?: AbortSignal) => Promise<FetchedModel> {
  return async (id, signal) => {
    const url = joinUrl(options.serverUrl, `${AGENT_PATHS.models}/${encodeURIComponent(id)}`)
    const headers = { accept: 'application/json' }
    const created = Math.floor(options.clock.now() / 1000)
    const signed = await signRequest(
      { method: 'GET', url, headers, body: new Uint8Array() },
      options.signer,
      created,
      randomBytes(16).toString('base64url'),
    )
    const response = await exchange(
      options.fetch,
      options.clock,
      url,
      { method: 'GET', headers: signed },
      options.timeoutMs ?? 60_000,
      signal,
    )
    const what = `fetch model ${id}`
    if (response.status !== 200) throw await problemFrom(response, what)
    // Refuse a declared oversize before reading it; the read below checks what arrives.
    if (Number(response.headers.get('content-length') ?? 0) > MAX_MODEL_DOCUMENT_BYTES) {
      await response.body?.cancel()
      throw new ProtocolError(`${what}: the answer is over ${MAX_MODEL_DOCUMENT_BYTES} bytes`)
    }
    const text = await response.text()
    if (text.length > MAX_MODEL_DOCUMENT_BYTES) {
      throw new ProtocolError(`${what}: the answer is over ${MAX_MODEL_DOCUMENT_BYTES} bytes`)
    }
    let raw: unknown
    try {
      raw = JSON.parse(text)
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
  }
}
