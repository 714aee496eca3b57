/**
 * Fetching an artifact the desired state names by id (a prediction model, a scorer plugin):
 * `GET <path>/{id}`, signed like every agent request, the answer read under a byte cap
 * (checked on the declared Content-Length and while streaming) and a timeout, problem+json
 * answers turned into typed errors. What the bytes mean is the caller's `decode`; the hash
 * the desired state names is checked by the artifact's manager before use.
 */
import { randomBytes } from 'node:crypto'
import { type AgentSigner, signRequest } from '../../protocol/signing'
import type { Clock } from '../clock'
import { readCapped } from './body'
import { joinUrl } from './client'
import { problemFrom } from './problem'
import { PROTOCOL_HEADERS } from './protocol-header'
import { checkServerUrl } from './server-url'
import { exchange, type FetchLike } from './transport'

export interface ArtifactFetcherOptions {
  serverUrl: string
  signer: AgentSigner
  fetch: FetchLike
  clock: Clock
  timeoutMs?: number
  /** Allow an http:// serverUrl (labs, tests); otherwise it throws InsecureServerUrlError. */
  allowInsecureHttp?: boolean
}

export interface ArtifactKind<T> {
  /** The collection's path (AGENT_PATHS.models, AGENT_PATHS.scorers). */
  path: string
  /** What one is called in error messages: `fetch <noun> <id>: ...`. */
  noun: string
  accept: string
  maxBytes: number
  /** The answer's bytes as the artifact, or a ProtocolError saying what is wrong. */
  decode(bytes: Uint8Array, id: string, what: string): T
}

export const DEFAULT_ARTIFACT_TIMEOUT_MS = 60_000

export function createArtifactFetcher<T>(
  options: ArtifactFetcherOptions,
  kind: ArtifactKind<T>,
): (id: string, signal?: AbortSignal) => Promise<T> {
  checkServerUrl(options.serverUrl, options.allowInsecureHttp)
  return async (id, signal) => {
    const url = joinUrl(options.serverUrl, `${kind.path}/${encodeURIComponent(id)}`)
    const headers = { accept: kind.accept, ...PROTOCOL_HEADERS }
    const created = Math.floor(options.clock.now() / 1000)
    const signed = await signRequest(
      { method: 'GET', url, headers, body: new Uint8Array() },
      options.signer,
      created,
      randomBytes(16).toString('base64url'),
    )
    const what = `fetch ${kind.noun} ${id}`
    const bytes = await exchange(
      options.fetch,
      options.clock,
      url,
      { method: 'GET', headers: signed },
      options.timeoutMs ?? DEFAULT_ARTIFACT_TIMEOUT_MS,
      signal,
      async (response) => {
        if (response.status !== 200) throw await problemFrom(response, what)
        return readCapped(response, kind.maxBytes, what)
      },
    )
    return kind.decode(bytes, id, what)
  }
}
