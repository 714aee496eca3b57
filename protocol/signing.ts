/**
 * Agent request signing: HTTP Message Signatures (RFC 9421) with Ed25519 over the method,
 * path, query and Content-Digest (RFC 9530, SHA-256 of the body), with `created`, a random
 * `nonce`, `keyid` = the agent id and `alg` = ed25519. The control plane checks the clock
 * skew and the nonce itself (so it can say which check failed), then the signature.
 *
 * Why not the `http-message-signatures` package: it is CommonJS and requires Node's
 * `crypto` and `constants` modules, which the Workers runtime cannot load. Our profile is
 * fixed (four components, one label), so the signature base (RFC 9421 sec. 2.5) is built
 * here and the structured-field syntax comes from `structured-headers`; a Node test checks
 * interoperability with `http-message-signatures` both ways. Crypto is WebCrypto, so the
 * same code runs in workerd and Node.
 */
import {
  type InnerList,
  parseDictionary,
  serializeDictionary,
  serializeInnerList,
  type Token,
} from 'structured-headers'

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

export interface SignatureParams {
  keyId: string
  created: number
  nonce: string
  alg: string
  components: string[]
}

/** RFC 9421 sec. 2.2 derived components and sec. 2.1 fields, for our four components. */
function componentValue(
  name: string,
  request: { method: string; url: string; headers: Record<string, string> },
): string | undefined {
  const url = new URL(request.url)
  switch (name) {
    case '@method':
      return request.method.toUpperCase()
    case '@path':
      return url.pathname || '/'
    case '@query':
      // Sec. 2.2.7: the query with its leading "?", or "?" alone when there is none.
      return url.search || '?'
    default: {
      const value = request.headers[name]
      return value?.trim()
    }
  }
}

function signatureParamsValue(components: readonly string[], params: SignatureParams): string {
  const list: InnerList = [
    components.map((c) => [c, new Map()]),
    new Map<string, string | number | Token>([
      ['created', params.created],
      ['nonce', params.nonce],
      ['keyid', params.keyId],
      ['alg', params.alg],
    ]),
  ]
  return serializeInnerList(list)
}

/** Sec. 2.5: one line per covered component, then the signature parameters. */
function signatureBase(
  request: { method: string; url: string; headers: Record<string, string> },
  components: readonly string[],
  paramsValue: string,
): string | undefined {
  const lines: string[] = []
  for (const name of components) {
    const value = componentValue(name, request)
    if (value === undefined) return undefined
    lines.push(`"${name}": ${value}`)
  }
  lines.push(`"@signature-params": ${paramsValue}`)
  return lines.join('\n')
}

/** The headers to add to a request: content-digest, signature-input and signature. */
export async function signRequest(
  request: RequestToSign,
  signer: AgentSigner,
  createdSeconds: number,
  nonce: string,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value
  headers['content-digest'] = await contentDigest(request.body)
  const params: SignatureParams = {
    keyId: signer.keyId,
    created: createdSeconds,
    nonce,
    alg: 'ed25519',
    components: [...COVERED_COMPONENTS],
  }
  const paramsValue = signatureParamsValue(COVERED_COMPONENTS, params)
  const base = signatureBase({ ...request, headers }, COVERED_COMPONENTS, paramsValue)!
  const signature = await signer.sign(new TextEncoder().encode(base))
  headers['signature-input'] = `${SIGNATURE_LABEL}=${paramsValue}`
  headers.signature = serializeDictionary(
    new Map([[SIGNATURE_LABEL, [signature.buffer as ArrayBuffer, new Map()]]]),
  )
  return headers
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
  if (components.join(' ') !== COVERED_COMPONENTS.join(' ')) {
    return `the signature must cover exactly ${COVERED_COMPONENTS.join(' ')}`
  }
  if (nonce.length < 16 || nonce.length > 128) return 'the nonce must be 16-128 characters'
  return { keyId, created, nonce, alg, components }
}

function readSignatureBytes(header: string | undefined): Uint8Array | undefined {
  if (!header) return undefined
  try {
    const entry = parseDictionary(header).get(SIGNATURE_LABEL)
    const value = entry?.[0]
    return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined
  } catch {
    return undefined
  }
}

/** Verifies the Ed25519 signature (label sig1) against the agent's raw public key. */
export async function verifySignature(
  request: { method: string; url: string; headers: Record<string, string> },
  publicKeyRaw: Uint8Array,
): Promise<boolean> {
  const params = readSignatureInput(request.headers['signature-input'])
  const signature = readSignatureBytes(request.headers.signature)
  if (typeof params === 'string' || !signature) return false
  // Sec. 2.3: the signature-params line is the canonical serialisation of the inner list.
  const entry = parseDictionary(request.headers['signature-input']!).get(SIGNATURE_LABEL)
  const paramsValue = serializeInnerList(entry as InnerList)
  const base = signatureBase(request, COVERED_COMPONENTS, paramsValue)
  if (base === undefined) return false
  const key = await crypto.subtle.importKey(
    'raw',
    publicKeyRaw as Uint8Array<ArrayBuffer>,
    { name: 'Ed25519' },
    false,
    ['verify'],
  )
  return crypto.subtle.verify(
    { name: 'Ed25519' },
    key,
    signature as Uint8Array<ArrayBuffer>,
    new TextEncoder().encode(base),
  )
}
