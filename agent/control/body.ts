/**
 * Reading a control-plane answer with a byte cap. The agent reads what the network hands
 * it; without a cap, a path attacker (or a broken proxy) answering with an endless or huge
 * body would make the agent buffer it all and run out of memory. A declared
 * Content-Length over the cap is refused before any byte is read; otherwise the body is
 * streamed and the read aborted as soon as it grows past the cap (chunked bodies declare
 * no length). An over-cap answer is a ProtocolError, so callers treat it as a failed fetch
 * (the daemon keeps its last config: fail-static).
 */
import { ProtocolError } from './errors'

/** Desired-state documents: a big mesh is hundreds of KiB; 8 MiB is far past any real one. */
export const MAX_DESIRED_STATE_BYTES = 8 * 1024 * 1024
/** Other JSON answers (enrollment): a few hundred bytes in practice. */
export const MAX_JSON_RESPONSE_BYTES = 1024 * 1024
/** Error bodies (problem+json): only the title and detail are shown. */
export const MAX_PROBLEM_BYTES = 64 * 1024

/** An answer longer than its cap (declared or as it arrived). */
export class ResponseTooLargeError extends ProtocolError {
  constructor(
    what: string,
    readonly maxBytes: number,
  ) {
    super(`${what}: the answer is over ${maxBytes} bytes`)
    this.name = 'ResponseTooLargeError'
  }
}

/** The body's bytes, or ResponseTooLargeError once more than maxBytes are declared or read. */
export async function readCapped(
  response: Response,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw new ResponseTooLargeError(what, maxBytes)
  }
  if (!response.body) return new Uint8Array()
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      // Cancel: the rest is never pulled off the socket, so it is never buffered.
      await reader.cancel().catch(() => {})
      throw new ResponseTooLargeError(what, maxBytes)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

const decoder = new TextDecoder()

/** The capped body parsed as JSON; a ProtocolError when it is not JSON. */
export async function readJsonCapped(
  response: Response,
  maxBytes: number,
  what: string,
): Promise<unknown> {
  const text = decoder.decode(await readCapped(response, maxBytes, what))
  try {
    return JSON.parse(text)
  } catch {
    throw new ProtocolError(`${what}: the answer is not JSON`)
  }
}
