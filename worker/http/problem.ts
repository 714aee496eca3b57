/**
 * The one place where errors become responses (RFC 9457 problem+json). Known errors keep
 * their status; zod failures list every bad field; anything unexpected is a 500 that is
 * logged with its cause and tells the client nothing internal.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ZodError } from 'zod'
import { type FieldError, ProblemError, type ProblemKind, problemBody } from '../errors'

export function problemResponse(
  c: Context,
  kind: ProblemKind,
  detail: string,
  extensions: Record<string, unknown> = {},
): Response {
  const body = problemBody(kind, detail, new URL(c.req.url).pathname, extensions)
  // RFC 9110 sec. 10.2.3: a 429 says when to come back, in whole seconds.
  const retryAfter = extensions.retryAfterSeconds
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: {
      'content-type': 'application/problem+json',
      // RFC 9110 sec. 11.6.1: a 401 names the scheme the client should use.
      ...(kind === 'unauthenticated' ? { 'www-authenticate': 'Bearer realm="patronus"' } : {}),
      ...(kind.startsWith('agent-')
        ? { 'www-authenticate': 'Signature realm="patronus-agent"' }
        : {}),
      ...(typeof retryAfter === 'number' ? { 'retry-after': String(Math.ceil(retryAfter)) } : {}),
    },
  })
}

export function zodFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.')
    // zod says "Unrecognized key(s)" for strict objects: name the keys as fields.
    if (issue.code === 'unrecognized_keys') {
      return { path, message: `unknown field(s): ${issue.keys.join(', ')}` }
    }
    return { path, message: issue.message }
  })
}

export function validationProblem(c: Context, error: ZodError, where: string): Response {
  const errors = zodFieldErrors(error)
  const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')
  return problemResponse(c, 'validation-failed', `invalid ${where}: ${summary}`, { errors })
}

export function handleError(
  error: unknown,
  c: Context,
  log: (message: string, error: unknown) => void,
): Response {
  if (error instanceof ProblemError) {
    return problemResponse(c, error.kind, error.message, error.extensions)
  }
  if (error instanceof HTTPException) {
    // Hono's validator throws this for an unparsable JSON body.
    if (error.status === 400 && /json/i.test(error.message)) {
      return problemResponse(c, 'malformed-json', error.message)
    }
    if (error.status === 413) return problemResponse(c, 'payload-too-large', error.message)
    const kind: ProblemKind = error.status === 401 ? 'unauthenticated' : 'bad-request'
    return problemResponse(c, kind, error.message || 'bad request')
  }
  log('unhandled error', error)
  return problemResponse(c, 'internal', 'an internal error occurred; it has been logged')
}
