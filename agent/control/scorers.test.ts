/**
 * The scorer fetcher: the artifact fetcher's signed GET of /v1/agent/scorers/{id}, the raw
 * component bytes back, capped at MAX_SCORER_BYTES; problem+json as typed errors.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MAX_SCORER_BYTES } from '../../protocol/agent'
import type { AgentSigner } from '../../protocol/signing'
import { fromBase64, verifySignature } from '../../protocol/signing'
import { FakeClock } from '../clock/fake'
import { ResponseTooLargeError } from './body'
import { ControlPlaneProblemError } from './errors'
import { createScorerFetcher } from './scorers'

function setup(answer: () => Response) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString(
    'base64',
  )
  const signer: AgentSigner = {
    keyId: 'agt_1',
    sign: async (data) => new Uint8Array(sign(null, data, privateKey)),
  }
  const calls: { url: string; init: RequestInit }[] = []
  const fetchScorer = createScorerFetcher({
    serverUrl: 'https://cp.example/',
    signer,
    fetch: async (url, init) => {
      calls.push({ url, init })
      return answer()
    },
    clock: new FakeClock(Date.UTC(2026, 0, 1)),
  })
  return { raw, calls, fetchScorer }
}

const id = `scr_${'0'.repeat(28)}`

describe('scorer fetcher', () => {
  it('GETs the version signed with the agent key and returns the bytes', async () => {
    const bytes = Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0)
    const { raw, calls, fetchScorer } = setup(
      () => new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
    )
    expect([...(await fetchScorer(id))]).toEqual([...bytes])
    expect(calls[0]?.url).toBe(`https://cp.example/v1/agent/scorers/${id}`)
    const headers = Object.fromEntries(new Headers(calls[0]?.init.headers).entries())
    expect(headers.accept).toBe('application/wasm')
    expect(
      await verifySignature({ method: 'GET', url: calls[0]!.url, headers }, fromBase64(raw)),
    ).toBe(true)
  })

  it('refuses an answer over the cap and turns problems into typed errors', async () => {
    const huge = setup(() => new Response(new Uint8Array(MAX_SCORER_BYTES + 1)))
    await expect(huge.fetchScorer(id)).rejects.toThrow(ResponseTooLargeError)
    const missing = setup(
      () =>
        new Response(
          JSON.stringify({ title: 'Not found', detail: `scorer ${id} does not exist` }),
          { status: 404, headers: { 'content-type': 'application/problem+json' } },
        ),
    )
    const error = await missing.fetchScorer(id).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ControlPlaneProblemError)
    expect((error as Error).message).toMatch(new RegExp(`fetch scorer ${id}: Not found`))
  })
})
