/**
 * Typed API errors. Services throw a ProblemError; one handler (http/problem.ts) turns it
 * into an RFC 9457 `application/problem+json` response. Each kind has a stable `type` URI
 * that clients can switch on; docs/api.md lists them.
 */

export const PROBLEM_BASE = 'https://patronus.dev/problems/'

export const PROBLEMS = {
  'validation-failed': { status: 422, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'bad-request': { status: 400, title: 'Bad request' },
  'protocol-version-unsupported': {
    status: 400,
    title: 'This control plane does not serve the agent protocol version',
  },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  'enrollment-token-invalid': { status: 401, title: 'The enrollment token cannot be used' },
  'agent-signature-invalid': { status: 401, title: 'The request signature is not valid' },
  'agent-replay': { status: 401, title: 'The request was already seen (replayed nonce)' },
  'agent-clock-skew': { status: 401, title: 'The agent clock is too far from the server clock' },
  'agent-unknown': { status: 401, title: 'No such agent' },
  'agent-revoked': { status: 401, title: 'The agent was revoked' },
  forbidden: { status: 403, title: 'Not allowed for this token' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'precondition-failed': { status: 412, title: 'The resource has changed (stale If-Match)' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'quota-exceeded': { status: 409, title: 'The org has reached a quota' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'event-quota-exceeded': { status: 429, title: 'The org has reached its events-per-minute quota' },
  'service-unavailable': { status: 503, title: 'The service is not ready' },
  internal: { status: 500, title: 'Internal error' },
} as const

export type ProblemKind = keyof typeof PROBLEMS

export interface FieldError {
  /** Dotted path of the offending field, e.g. `prefixes.1` ("" for the whole body). */
  path: string
  message: string
}

export class ProblemError extends Error {
  readonly kind: ProblemKind
  readonly extensions: Record<string, unknown>

  constructor(kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail)
    this.name = 'ProblemError'
    this.kind = kind
    this.extensions = extensions
  }

  get status(): number {
    return PROBLEMS[this.kind].status
  }
}

export const notFound = (what: string, id: string) =>
  new ProblemError('not-found', `${what} ${id} does not exist`)

export const conflict = (detail: string, extensions?: Record<string, unknown>) =>
  new ProblemError('conflict', detail, extensions)

export const invalid = (errors: FieldError[]) =>
  new ProblemError(
    'validation-failed',
    errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '),
    { errors },
  )

export function problemBody(kind: ProblemKind, detail: string, instance?: string, ext = {}) {
  return {
    type: PROBLEM_BASE + kind,
    title: PROBLEMS[kind].title,
    status: PROBLEMS[kind].status,
    detail,
    ...(instance ? { instance } : {}),
    ...ext,
  }
}
