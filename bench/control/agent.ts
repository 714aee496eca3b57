/**
 * A benchmark agent: an Ed25519 identity (WebCrypto) and requests signed exactly as
 * protocol/signing.ts prescribes. Signing happens before the clock starts, so latencies
 * are the control plane's (plus loopback), not the load generator's crypto.
 */
import { signRequest, toBase64 } from '../../protocol/signing.js'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version.js'

/** Benchmark agents speak the current protocol, as upgraded agents do. */
export const PROTOCOL_HEADERS = { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }

export type SiteRole = 'hub' | 'spoke' | 'mesh'

export interface AgentIdentity {
  keyPair: CryptoKeyPair
  identityPublicKey: string
  wireguardPublicKey: string
}

export interface BenchAgent {
  agentId: string
  siteId: string
  siteIndex: number
  role: SiteRole
  orgId: string
  identity: AgentIdentity
}

export async function newIdentity(): Promise<AgentIdentity> {
  const keyPair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey))
  // The control plane treats the WireGuard key as opaque 32 bytes.
  const wg = crypto.getRandomValues(new Uint8Array(32))
  return { keyPair, identityPublicKey: toBase64(raw), wireguardPublicKey: toBase64(wg) }
}

export interface ConfigRequest {
  url: string
  headers: Record<string, string>
}

/** A signed GET /v1/agent/config, optionally conditional (ETag) and long-polling. */
export async function signedConfigRequest(
  baseUrl: string,
  agent: BenchAgent,
  options: { etag?: string; waitSeconds?: number } = {},
): Promise<ConfigRequest> {
  const query = options.waitSeconds !== undefined ? `?wait=${options.waitSeconds}` : ''
  const url = `${baseUrl}/v1/agent/config${query}`
  const headers = await signRequest(
    {
      method: 'GET',
      url,
      headers: { ...PROTOCOL_HEADERS, ...(options.etag ? { 'if-none-match': options.etag } : {}) },
      body: new Uint8Array(),
    },
    {
      keyId: agent.agentId,
      sign: async (data) =>
        new Uint8Array(
          await crypto.subtle.sign(
            { name: 'Ed25519' },
            agent.identity.keyPair.privateKey,
            data as Uint8Array<ArrayBuffer>,
          ),
        ),
    },
    Math.floor(Date.now() / 1000),
    toBase64(crypto.getRandomValues(new Uint8Array(18))),
  )
  return { url, headers }
}

export interface ConfigResponse {
  status: number
  etag: string | undefined
  bytes: number
  body: string
}

export async function sendConfigRequest(
  request: ConfigRequest,
  signal?: AbortSignal,
): Promise<ConfigResponse> {
  const response = await fetch(request.url, {
    headers: request.headers,
    ...(signal ? { signal } : {}),
  })
  const body = await response.text()
  if (response.status !== 200 && response.status !== 304) {
    throw new Error(`GET /v1/agent/config: ${response.status} ${body.slice(0, 300)}`)
  }
  return {
    status: response.status,
    etag: response.headers.get('etag') ?? undefined,
    bytes: body.length,
    body,
  }
}
