/**
 * The few /v1 routes whose body is raw bytes, not JSON: scorer plugin uploads
 * (`PUT /v1/scorers/{name}`, a WebAssembly component). They get their own size cap and media
 * types here; the JSON guards every other /v1 body goes through (1 MiB cap, JSON media type,
 * nesting depth) are wrapped with exceptBinaryUploads so that they skip them: a component's
 * bytes are not JSON, and its `[` bytes would read as nesting.
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { MAX_SCORER_BYTES } from '../../protocol/agent'
import { ProblemError } from '../errors'

interface BinaryUpload {
  method: string
  path: RegExp
  maxBytes: number
  /** Accepted media types (parameters after `;` are ignored). */
  types: readonly string[]
}

export const BINARY_UPLOADS: readonly BinaryUpload[] = [
  {
    method: 'PUT',
    path: /^\/v1\/scorers\/[^/]+$/,
    maxBytes: MAX_SCORER_BYTES,
    types: ['application/wasm', 'application/octet-stream'],
  },
]

function uploadOf(method: string, path: string): BinaryUpload | undefined {
  return BINARY_UPLOADS.find((u) => u.method === method && u.path.test(path))
}

const limits = new Map(
  BINARY_UPLOADS.map((u) => [
    u,
    bodyLimit({
      maxSize: u.maxBytes,
      onError: () => {
        throw new ProblemError('payload-too-large', `the body exceeds ${u.maxBytes} bytes`)
      },
    }),
  ]),
)

/** Media type and size cap of the binary routes; other requests pass through. */
export const binaryUploads = createMiddleware(async (c, next) => {
  const upload = uploadOf(c.req.method, c.req.path)
  if (!upload) return next()
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!upload.types.includes(type)) {
    throw new ProblemError(
      'unsupported-media-type',
      `this body must be ${upload.types.join(' or ')}, not "${type || 'none'}"`,
    )
  }
  return limits.get(upload)!(c, next)
})

/** `guard`, except for the binary routes (they have binaryUploads instead). */
export function exceptBinaryUploads(guard: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    if (uploadOf(c.req.method, c.req.path)) return next()
    return guard(c, next)
  }
}
