/**
 * A test agent: WebCrypto keys (so it runs in workerd too) and requests signed exactly as
 * protocol/signing.ts prescribes, with knobs to break them (wrong key, skewed clock,
 * tampered body, replayed headers).
 */
import { signRequest, toBase64 } from '../../protocol/signing'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version'
import type { ApiResponse, ApiTarget } from './harness'

export interface TestKeys {
  identity: CryptoKeyPair
  identityPublic: string
  wireguardPublic: string
}

async function ed25519(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
}

export async function newKeys(): Promise<TestKeys> {
  const identity = await ed25519()
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', identity.publicKey))
  // Any 32 bytes stand in for an X25519 public key as far as the control plane cares.
  const wg = crypto.getRandomValues(new Uint8Array(32))
  return { identity, identityPublic: toBase64(raw), wireguardPublic: toBase64(wg) }
}

export interface SignOptions {
  /** Seconds added to the signature's `created` (clock skew). */
  skewSeconds?: number
  /** Sign with this key instead of the agent's. */
  key?: CryptoKey
  /** Send this body instead of the signed one (tampering). */
  sendBody?: string
  /** Sign and send this text as the body (one JSON.stringify cannot build, e.g. too deep). */
  rawBody?: string
  headers?: Record<string, string>
}

/** The protocol header of an agent speaking `protocol`; null: none, as agents before it. */
const protocolHeaders = (protocol: number | null): Record<string, string> =>
  protocol === null ? {} : { [PROTOCOL_HEADER]: String(protocol) }

export class TestAgent {
  lastHeaders: Record<string, string> = {}
  /** The protocol version it names on each request (null: no header, a v1 agent). */
  protocol: number | null = PROTOCOL_VERSION

  constructor(
    readonly target: ApiTarget,
    readonly agentId: string,
    readonly keys: TestKeys,
  ) {}

  /** The signed headers of a request, without sending it (a test may send them twice). */
  async sign(method: string, path: string, text: string, options: SignOptions = {}) {
    const key = options.key ?? this.keys.identity.privateKey
    const nonce = toBase64(crypto.getRandomValues(new Uint8Array(18)))
    const created = Math.floor(Date.now() / 1000) + (options.skewSeconds ?? 0)
    return signRequest(
      {
        method,
        url: `http://patronus.test${path}`,
        headers: options.headers ?? {},
        body: new TextEncoder().encode(text),
      },
      {
        keyId: this.agentId,
        sign: async (data) =>
          new Uint8Array(
            await crypto.subtle.sign({ name: 'Ed25519' }, key, data as Uint8Array<ArrayBuffer>),
          ),
      },
      created,
      nonce,
    )
  }

  async request(method: string, path: string, body?: unknown, options: SignOptions = {}) {
    const text = options.rawBody ?? (body === undefined ? '' : JSON.stringify(body))
    const headers = await this.sign(method, path, text, {
      ...options,
      headers: {
        ...(body !== undefined || options.rawBody !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...protocolHeaders(this.protocol),
        ...options.headers,
      },
    })
    this.lastHeaders = headers
    return this.send(
      method,
      path,
      headers,
      options.sendBody ?? (body === undefined && options.rawBody === undefined ? undefined : text),
    )
  }

  /** Sends exactly these headers again (a replay). */
  async send(method: string, path: string, headers: Record<string, string>, body?: string) {
    const response = await this.target.fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    } as ApiResponse
  }

  config(options: SignOptions & { etag?: string; wait?: number } = {}) {
    const query = options.wait !== undefined ? `?wait=${options.wait}` : ''
    return this.request('GET', `/v1/agent/config${query}`, undefined, {
      ...options,
      headers: { ...(options.etag ? { 'if-none-match': options.etag } : {}), ...options.headers },
    })
  }
}

export async function enrollAgent(
  target: ApiTarget,
  token: string,
  uplinks: { name: string; interface: string; endpoint?: string }[] = [],
  /** The protocol version the agent speaks (null: sends no header, as v1 agents). */
  protocol: number | null = PROTOCOL_VERSION,
) {
  const keys = await newKeys()
  const response = await target.fetch('/v1/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...protocolHeaders(protocol) },
    body: JSON.stringify({
      token,
      hostname: 'edge-1',
      agentVersion: '0.1.0',
      identityPublicKey: keys.identityPublic,
      wireguardPublicKey: keys.wireguardPublic,
      uplinks,
    }),
  })
  const body = (await response.json()) as any
  return {
    status: response.status,
    headers: response.headers,
    body,
    agent: Object.assign(new TestAgent(target, body.agentId, keys), { protocol }),
  }
}
