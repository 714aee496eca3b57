/**
 * How a delivery attempt reaches its target: a small interface so that the Node entry
 * point can check resolved addresses at connect time (node-transport.ts) while Workers
 * use fetch. Both: no redirects followed, a deadline, at most `maxResponseBytes` read.
 */

export interface WebhookRequest {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  maxResponseBytes: number
}

export interface WebhookResponse {
  status: number
  retryAfter: string | null
  /** The start of the body (at most maxResponseBytes), for the delivery log. */
  body: string
}

export type WebhookTransport = (request: WebhookRequest) => Promise<WebhookResponse>

export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'blocked',
    message: string,
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

export const TIMEOUT_MS = 10_000
export const MAX_RESPONSE_BYTES = 64 * 1024

async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size < max) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  await reader.cancel().catch(() => {})
  const all = new Uint8Array(Math.min(size, max))
  let offset = 0
  for (const c of chunks) {
    const part = c.subarray(0, Math.max(0, all.length - offset))
    all.set(part, offset)
    offset += part.length
  }
  return new TextDecoder().decode(all)
}

/** fetch-based transport (Workers; Node tests may use it too). */
export const fetchTransport: WebhookTransport = async (request) => {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), request.timeoutMs)
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    })
    const body = await readCapped(response, request.maxResponseBytes)
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body }
  } catch (error) {
    if (controller.signal.aborted) {
      throw new TransportError('timeout', `no response within ${request.timeoutMs} ms`)
    }
    throw new TransportError('network', error instanceof Error ? error.message : String(error))
  } finally {
    clearTimeout(timer)
  }
}
