/**
 * Fetching a scorer plugin version: `GET /v1/agent/scorers/{id}` through the artifact
 * fetcher (signed, capped at MAX_SCORER_BYTES, timed). The answer is the component's bytes;
 * agent/scorers checks them against the desired state's sha256 and the world before use.
 */
import { AGENT_PATHS, MAX_SCORER_BYTES } from '../../protocol/agent'
import { type ArtifactFetcherOptions, createArtifactFetcher } from './artifacts'

export function createScorerFetcher(
  options: ArtifactFetcherOptions,
): (id: string, signal?: AbortSignal) => Promise<Uint8Array> {
  return createArtifactFetcher(options, {
    path: AGENT_PATHS.scorers,
    noun: 'scorer',
    accept: 'application/wasm',
    maxBytes: MAX_SCORER_BYTES,
    decode: (bytes) => bytes,
  })
}
