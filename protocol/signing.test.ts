import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  type AgentSigner,
  contentDigest,
  readSignatureInput,
  signRequest,
  verifySignature,
} from './signing'

function keyPair(keyId: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12))
  const signer: AgentSigner = {
    keyId,
    sign: async (data) => new Uint8Array(sign(null, data, privateKey)),
  }
  return { raw, signer }
}

const body = new TextEncoder().encode('{"uptimeSeconds":1}')
const request = {
  method: 'POST',
  url: 'http://cp.test/v1/agent/heartbeat?x=1',
  headers: { 'content-type': 'application/json' },
  body,
}

describe('agent request signatures (RFC 9421, Ed25519)', () => {
  it('round-trips and covers method, path, query and content-digest', async () => {
    const { raw, signer } = keyPair('agt_1')
    const headers = await signRequest(request, signer, 1_800_000_000, 'n'.repeat(22))
    expect(headers['content-digest']).toBe(await contentDigest(body))
    const params = readSignatureInput(headers['signature-input'])
    expect(params).toMatchObject({ keyId: 'agt_1', created: 1_800_000_000, alg: 'ed25519' })
    expect(await verifySignature({ ...request, headers }, raw)).toBe(true)
  })

  it('fails with another key, another path, another method or another digest', async () => {
    const { raw, signer } = keyPair('agt_1')
    const other = keyPair('agt_2')
    const headers = await signRequest(request, signer, 1_800_000_000, 'n'.repeat(22))
    expect(await verifySignature({ ...request, headers }, other.raw)).toBe(false)
    expect(
      await verifySignature(
        { ...request, url: 'http://cp.test/v1/agent/config?x=1', headers },
        raw,
      ),
    ).toBe(false)
    expect(
      await verifySignature(
        { ...request, url: 'http://cp.test/v1/agent/heartbeat?x=2', headers },
        raw,
      ),
    ).toBe(false)
    expect(await verifySignature({ ...request, method: 'PUT', headers }, raw)).toBe(false)
    const tampered = { ...headers, 'content-digest': await contentDigest(new Uint8Array([1])) }
    expect(await verifySignature({ ...request, headers: tampered }, raw)).toBe(false)
  })

  it('explains malformed or incomplete Signature-Input', () => {
    expect(readSignatureInput(undefined)).toMatch(/not signed/)
    expect(readSignatureInput('((')).toMatch(/structured-field/)
    expect(
      readSignatureInput(
        'sig1=("@method");created=1;nonce="abcdefghabcdefgh";keyid="a";alg="ed25519"',
      ),
    ).toMatch(/cover @path/)
    expect(
      readSignatureInput(
        'sig1=("@method" "@path" "@query" "content-digest");created=1;keyid="a";alg="ed25519"',
      ),
    ).toMatch(/nonce/)
  })
})
