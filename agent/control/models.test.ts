/**
 * The model fetcher: a signed GET of /v1/agent/models/{id}, the document validated at the
 * boundary (schema, id, size), problem+json answers turned into typed errors.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AgentSigner } from '../../protocol/signing'
import { fromBase64, verifySignature } from '../../protocol/signing'
import { FakeClock } from '../clock/fake'
import { createControlClient } from './client'
import { ControlPlaneProblemError, ProtocolError } from './errors'
import { createModelFetcher, MAX_MODEL_DOCUMENT_BYTES } from './models'
import type { FetchLike } from './transport'

function identity() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString(
    'base64',
  )
  const signer: AgentSigner = {
    keyId: 'agt_1',
    sign: async (data) => new Uint8Array(sign(null, data, privateKey)),
  }
  return { raw, signer }
}

function setup(answer: () => Response) {
  const { raw, signer } = identity()
  const calls: { url: string; init: RequestInit }[] = []
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init })
    return answer()
  }
  const fetchModel = createModelFetcher({
    serverUrl: 'https://cp.example/',
    signer,
    fetch,
    clock: new FakeClock(Date.UTC(2026, 0, 1)),
  })
  return { raw, calls, fetchModel }
}

const onnx = Uint8Array.from([8, 7, 18, 4, 116, 101, 115, 116])
const doc = (extra: object = {}) =>
  new Response(
    JSON.stringify({
      id: 'pathfail-v1',
      manifest: { id: 'pathfail-v1', threshold: 0.9 },
      onnx: Buffer.from(onnx).toString('base64'),
      ...extra,
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  )

describe('model fetcher', () => {
  it('GETs the model signed with the agent key and returns the manifest and bytes', async () => {
    const { raw, calls, fetchModel } = setup(() => doc())
    const got = await fetchModel('pathfail-v1')
    expect(calls[0]?.url).toBe('https://cp.example/v1/agent/models/pathfail-v1')
    const headers = Object.fromEntries(new Headers(calls[0]?.init.headers).entries())
    expect(
      await verifySignature({ method: 'GET', url: calls[0]!.url, headers }, fromBase64(raw)),
    ).toBe(true)
    expect(got.manifest).toEqual({ id: 'pathfail-v1', threshold: 0.9 })
    expect([...got.onnx]).toEqual([...onnx])
  })

  it('turns problem+json into a typed error naming the model', async () => {
    const { fetchModel } = setup(
      () =>
        new Response(
          JSON.stringify({
            type: 'https://patronus.dev/problems/not-found',
            title: 'Not found',
            detail: 'model x does not exist',
          }),
          { status: 404, headers: { 'content-type': 'application/problem+json' } },
        ),
    )
    const error = await fetchModel('x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ControlPlaneProblemError)
    expect((error as Error).message).toMatch(/fetch model x: Not found: model x does not exist/)
  })

  it('rejects a malformed, mismatched or oversized document', async () => {
    await expect(setup(() => new Response('<html>')).fetchModel('pathfail-v1')).rejects.toThrow(
      ProtocolError,
    )
    await expect(
      setup(() => doc({ onnx: 'not base64!' })).fetchModel('pathfail-v1'),
    ).rejects.toThrow(/fetch model pathfail-v1: onnx/)
    await expect(setup(() => doc({ id: 'other' })).fetchModel('pathfail-v1')).rejects.toThrow(
      /got model other/,
    )
    const huge = 'A'.repeat(MAX_MODEL_DOCUMENT_BYTES + 4)
    await expect(setup(() => doc({ onnx: huge })).fetchModel('pathfail-v1')).rejects.toThrow(
      /over 16777216 bytes/,
    )
  })

  it('config requests say which model the agent runs, next to the revision', async () => {
    const { signer } = identity()
    const seen: string[] = []
    const client = createControlClient({
      serverUrl: 'https://cp.example',
      signer,
      fetch: async (_url, init) => {
        seen.push(new Headers(init.headers).get('if-none-match') ?? '')
        return new Response(null, { status: 304 })
      },
      clock: new FakeClock(Date.UTC(2026, 0, 1)),
    })
    await client.getConfig({ etag: 3, model: { sha256: 'ab'.repeat(32) } })
    await client.getConfig({ etag: 3, model: null })
    await client.getConfig({ etag: 3 })
    expect(seen).toEqual(['"3", "m-abababababababab"', '"3", "m-none"', '"3"'])
  })
})
