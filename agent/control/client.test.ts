import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import type { AgentSigner } from '../../protocol/signing'
import { fromBase64, readSignatureInput, verifySignature } from '../../protocol/signing'
import { FakeClock, settle } from '../clock/fake'
import { desiredState } from '../testing/fixtures'
import { createControlClient } from './client'
import { enrollAgent } from './enroll'
import {
  AgentRevokedError,
  ControlPlaneProblemError,
  ControlPlaneUnreachableError,
  ProtocolError,
} from './errors'
import type { FetchLike } from './transport'

function identity(agentId = 'agt_1') {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString(
    'base64',
  )
  const signer: AgentSigner = {
    keyId: agentId,
    sign: async (data) => new Uint8Array(sign(null, data, privateKey)),
  }
  return { raw, signer }
}

interface Call {
  url: string
  init: RequestInit
}

function scripted(responses: (() => Response | Promise<Response>)[]) {
  const calls: Call[] = []
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init })
    const next = responses.shift()
    if (!next) throw new Error('unexpected request')
    return next()
  }
  return { calls, fetch }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

const problem = (status: number, kind: string, title: string, detail: string) =>
  new Response(
    JSON.stringify({ type: `https://patronus.dev/problems/${kind}`, title, detail, status }),
    { status, headers: { 'content-type': 'application/problem+json' } },
  )

const headersOf = (call: Call | undefined) =>
  Object.fromEntries(new Headers(call?.init.headers).entries())

describe('control client', () => {
  it('signs getConfig with the identity key, created = clock, fresh nonce, keyid = agent id', async () => {
    const { raw, signer } = identity()
    const clock = new FakeClock(1_800_000_000_500)
    const { calls, fetch } = scripted([
      () => json(desiredState(3), 200, { etag: '"3"' }),
      () => json(desiredState(3), 200, { etag: '"3"' }),
    ])
    const client = createControlClient({
      serverUrl: 'https://cp.test/',
      signer,
      fetch,
      clock,
    })
    const result = await client.getConfig({ etag: 2, waitSeconds: 55 })
    expect(result).toMatchObject({ status: 'changed', etag: '"3"', state: { revision: 3 } })
    await client.getConfig({ etag: 2, waitSeconds: 55 })

    expect(calls[0]?.url).toBe('https://cp.test/v1/agent/config?wait=55')
    const headers = headersOf(calls[0])
    expect(headers['if-none-match']).toBe('"2"')
    const params = readSignatureInput(headers['signature-input'])
    if (typeof params === 'string') throw new Error(params)
    expect(params.keyId).toBe('agt_1')
    expect(params.created).toBe(1_800_000_000)
    expect(params.nonce.length).toBeGreaterThanOrEqual(16)
    expect(
      await verifySignature({ method: 'GET', url: calls[0]!.url, headers }, fromBase64(raw)),
    ).toBe(true)
    const second = readSignatureInput(headersOf(calls[1])['signature-input'])
    expect(typeof second !== 'string' && second.nonce).not.toBe(params.nonce)
  })

  it('caps ?wait at 60 s and omits it (and If-None-Match) when not asked', async () => {
    const { signer } = identity()
    const { calls, fetch } = scripted([
      () => new Response(null, { status: 304 }),
      () => json(desiredState(1)),
    ])
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    expect(await client.getConfig({ etag: 1, waitSeconds: 600 })).toEqual({ status: 'unchanged' })
    expect(calls[0]?.url).toBe('https://cp.test/v1/agent/config?wait=60')
    await client.getConfig()
    expect(calls[1]?.url).toBe('https://cp.test/v1/agent/config')
    expect(headersOf(calls[1])['if-none-match']).toBeUndefined()
  })

  it('rejects a document that does not match the protocol or is for another agent', async () => {
    const { signer } = identity()
    const { fetch } = scripted([
      () => json({ ...desiredState(1), revision: -1 }),
      () => json(desiredState(1, { agent: { id: 'agt_other' } })),
      () => new Response('<html>', { status: 200 }),
    ])
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    await expect(client.getConfig()).rejects.toThrow(/revision/)
    await expect(client.getConfig()).rejects.toThrow(/agt_other/)
    await expect(client.getConfig()).rejects.toBeInstanceOf(ProtocolError)
  })

  it('maps a 401 agent-revoked problem to AgentRevokedError, other problems by title/detail', async () => {
    const { signer } = identity()
    const { fetch } = scripted([
      () => problem(401, 'agent-revoked', 'The agent is revoked', 'revoked on 2026-01-01'),
      () => problem(401, 'agent-clock-skew', 'Clock skew', 'off by 400 s'),
      () => new Response('bad gateway', { status: 502, statusText: 'Bad Gateway' }),
    ])
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    const revoked = await client.getConfig().catch((e: unknown) => e)
    expect(revoked).toBeInstanceOf(AgentRevokedError)
    expect((revoked as Error).message).toContain('The agent is revoked: revoked on 2026-01-01')
    const skew = await client.getConfig().catch((e: unknown) => e)
    expect(skew).toBeInstanceOf(ControlPlaneProblemError)
    expect(skew).not.toBeInstanceOf(AgentRevokedError)
    expect((skew as ControlPlaneProblemError).kind).toBe('agent-clock-skew')
    expect((skew as Error).message).toMatch(/Clock skew: off by 400 s \(HTTP 401\)/)
    await expect(client.getConfig()).rejects.toThrow(/Bad Gateway \(HTTP 502\)/)
  })

  it('posts a signed heartbeat whose digest covers the body', async () => {
    const { raw, signer } = identity()
    const { calls, fetch } = scripted([() => new Response(null, { status: 204 })])
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    await client.heartbeat({ agentVersion: '0.1.0', uptimeSeconds: 5, revision: 2, uplinks: [] })
    const call = calls[0]!
    expect(call.url).toBe('https://cp.test/v1/agent/heartbeat')
    expect(call.init.method).toBe('POST')
    const headers = headersOf(call)
    expect(JSON.parse(new TextDecoder().decode(call.init.body as Uint8Array))).toMatchObject({
      uptimeSeconds: 5,
      revision: 2,
    })
    expect(await verifySignature({ method: 'POST', url: call.url, headers }, fromBase64(raw))).toBe(
      true,
    )
  })

  it('reports an unreachable server with the URL and the cause', async () => {
    const { signer } = identity()
    const fetch: FetchLike = async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
    }
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    const error = await client.getConfig().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ControlPlaneUnreachableError)
    expect((error as Error).message).toBe(
      'reach control plane https://cp.test/v1/agent/config: ECONNREFUSED',
    )
  })

  it('times out a silent server through the injected clock (long-poll wait + timeout)', async () => {
    const { signer } = identity()
    const clock = new FakeClock()
    const fetch: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    const client = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock,
      requestTimeoutMs: 10_000,
    })
    const pending = client.getConfig({ waitSeconds: 55 }).catch((e: unknown) => e)
    // Signing is asynchronous crypto: poll (bounded) rather than count event-loop turns.
    await vi.waitFor(() => expect(clock.sleeps).toEqual([65_000]), { timeout: 5000 })
    clock.advance(64_999)
    await settle()
    expect(clock.pending).toBe(1)
    clock.advance(1)
    const error = await pending
    expect(error).toBeInstanceOf(ControlPlaneUnreachableError)
    expect((error as Error).message).toMatch(/no answer within 65 s/)
  })

  it('enrolls unsigned and reports a refused token by the problem title and detail', async () => {
    const { fetch, calls } = scripted([
      () =>
        problem(401, 'enrollment-token-invalid', 'The enrollment token is not valid', 'it expired'),
    ])
    const request = {
      token: `pet_${'x'.repeat(43)}`,
      hostname: 'edge-1',
      agentVersion: '0.1.0',
      identityPublicKey: identity().raw,
      wireguardPublicKey: identity().raw,
      uplinks: [],
    }
    await expect(
      enrollAgent('https://cp.test', request, { fetch, clock: new FakeClock() }),
    ).rejects.toThrow(
      'enrollment refused: The enrollment token is not valid: it expired (HTTP 401)',
    )
    expect(calls[0]?.url).toBe('https://cp.test/v1/enroll')
    expect(headersOf(calls[0])['signature']).toBeUndefined()
  })
})
