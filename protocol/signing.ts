/**
 * Agent request signing: HTTP Message Signatures (RFC 9421) with Ed25519 over the method,
 * path, query and Content-Digest (RFC 9530, SHA-256 of the body), with `created`, a random
 * `nonce`, `keyid` = the agent id and `alg` = ed25519. The control plane checks the clock
 * skew and the nonce itself (so it can say which check failed), then the signature.
 *
 * The signature base and header syntax come from the `http-message-signatures` library;
 * the crypto is WebCrypto on the verifying side, so the same code runs in workerd and Node.
 */
import { httpbis } from 'http-message-signatures'
import { parseDictionary } from 'structured-headers'

export const SIGNATURE_LABEL = 'sig1'
export const COVERED_COMPONENTS = ['@method', '@path', '@query', 'content-digest'] as const
export const MAX_CLOCK_SKEW_SECONDS = 300

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** RFC 9530 Content-Digest of a body with SHA-256. */
export async function contentDigest(body: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>)
  return `sha-256=:${toBase64(new Uint8Array(digest))}:`
}

export interface RequestToSign {
  method: string
  url: string
  headers: Record<string, string>
  body: Uint8Array
}

export interface AgentSigner {
  keyId: string
  /** Ed25519 signature of `data` with the agent's identity key. */
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** The headers to add to a request: content-digest, signature-input and signature. */
export async function signRequest(
  request: RequestToSign,
  signer: AgentSigner,
  createdSeconds: number,
  nonce: string,
): Promise<Record<string, string>> {
  const headers = { ...request.headers, 'content-digest': await contentDigest(request.body) }
  const signed = await httpbis.signMessage(
    {
      key: {
        id: signer.keyId,
        alg: 'ed25519',
        sign: async (data: Buffer) => Buffer.from(await signer.sign(new Uint8Array(data))),
      },
      name: SIGNATURE_LABEL,
      fields: [...COVERED_COMPONENTS],
      params: ['created', 'nonce', 'keyid', 'alg'],
      paramValues: { created: new Date(createdSeconds * 1000), nonce },
    },
    { method: request.method, url: request.url, headers },
  )
  // Lower-case names: HTTP field names are case-insensitive, and callers look them up.
  return Object.fromEntries(
    Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
  )
}

export interface SignatureParams {
  keyId: string
  created: number
  nonce: string
  alg: string
  components: string[]
}

/** Reads our signature's parameters, or says what is wrong with the header. */
export function readSignatureInput(header: string | undefined): SignatureParams | string {
  if (!header) return 'the request is not signed (no Signature-Input header)'
  let dictionary: ReturnType<typeof parseDictionary>
  try {
    dictionary = parseDictionary(header)
  } catch {
    return 'the Signature-Input header is not a structured-field dictionary'
  }
  const entry = dictionary.get(SIGNATURE_LABEL)
  if (!entry || !Array.isArray(entry[0])) return `no "${SIGNATURE_LABEL}" signature`
  const params = entry[1]
  const components = (entry[0] as [unknown, unknown][]).map(([value]) => String(value))
  const keyId = params.get('keyid')
  const created = params.get('created')
  const nonce = params.get('nonce')
  const alg = params.get('alg')
  if (typeof keyId !== 'string' || typeof created !== 'number' || typeof nonce !== 'string') {
    return 'the signature must carry keyid, created and nonce'
  }
  if (alg !== 'ed25519') return 'the signature algorithm must be ed25519'
  for (const required of COVERED_COMPONENTS) {
    if (!components.includes(required)) return `the signature must cover ${required}`
  }
  if (nonce.length < 16 || nonce.length > 128) return 'the nonce must be 16-128 characters'
  return { keyId, created, nonce, alg, components }
}

/** Verifies the Ed25519 signature against the agent's raw public key. */
export async function verifySignature(
  request: { method: string; url: string; headers: Record<string, string> },
  publicKeyRaw: Uint8Array,
): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    'raw',
    publicKeyRaw as Uint8Array<ArrayBuffer>,
    { name: 'Ed25519' },
    false,
    ['verify'],
  )
  try {
    const result = await httpbis.verifyMessage(
      {
        keyLookup: async () => ({
          algs: ['ed25519'],
          verify: async (data: Buffer, signature: Buffer) =>
            crypto.subtle.verify(
              { name: 'Ed25519' },
              key,
              new Uint8Array(signature),
              new Uint8Array(data),
            ),
        }),
        // The caller checks `created` against its injected clock (readSignatureInput +
        // MAX_CLOCK_SKEW_SECONDS); the library would compare with the wall clock.
        notAfter: Number.MAX_SAFE_INTEGER,
        requiredParams: ['created', 'nonce', 'keyid'],
        requiredFields: [...COVERED_COMPONENTS],
      },
      request,
    )
    return result === true
  } catch {
    return false
  }
}
