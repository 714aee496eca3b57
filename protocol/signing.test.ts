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
    ).toMatch(/cover exactly/)
    expect(
      readSignatureInput(
        'sig1=("@method" "@path" "@query" "content-digest");created=1;keyid="a";alg="ed25519"',
      ),
    ).toMatch(/nonce/)
  })
})

describe('interoperability with the http-message-signatures package', () => {
  it('our signatures verify with it, and its signatures verify with ours', async () => {
    const { httpbis } = await import('http-message-signatures')
    const { createPublicKey, verify } = await import('node:crypto')
    const { raw, signer } = keyPair('agt_9')
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(raw)])
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' })

    const ours = await signRequest(request, signer, 1_800_000_000, 'q'.repeat(24))
    const theirsVerdict = await httpbis.verifyMessage(
      {
        notAfter: Number.MAX_SAFE_INTEGER,
        keyLookup: async () => ({
          algs: ['ed25519'],
          verify: async (data: Buffer, signature: Buffer) =>
            verify(null, data, publicKey, signature),
        }),
      },
      { method: request.method, url: request.url, headers: ours },
    )
    expect(theirsVerdict).toBe(true)

    const theirs = await httpbis.signMessage(
      {
        key: {
          id: 'agt_9',
          alg: 'ed25519',
          sign: async (data: Buffer) => Buffer.from(await signer.sign(data)),
        },
        name: 'sig1',
        fields: ['@method', '@path', '@query', 'content-digest'],
        params: ['created', 'nonce', 'keyid', 'alg'],
        paramValues: { created: new Date(1_800_000_000_000), nonce: 'r'.repeat(24) },
      },
      {
        method: request.method,
        url: request.url,
        headers: { 'content-digest': await contentDigest(body) },
      },
    )
    const lower = Object.fromEntries(
      Object.entries(theirs.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    )
    expect(
      await verifySignature({ method: request.method, url: request.url, headers: lower }, raw),
    ).toBe(true)
  })
})
