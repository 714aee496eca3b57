/**
 * Small builders for OpenAPI route descriptions, so that each route file says what is
 * particular to it: its schemas and its problems.
 */
import type { Context } from 'hono'
import { problemSchema } from '../api/common'
import { etagFor, parseIfMatch } from '../services/versioning'

export const jsonContent = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
})

export const jsonBody = <T>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
})

const problem = (description: string) => ({
  content: { 'application/problem+json': { schema: problemSchema } },
  description,
})

/** Problems any authenticated route may answer with. */
export const authProblems = {
  401: problem('Missing, invalid or revoked token'),
  403: problem('The token’s role does not allow this'),
  422: problem('Invalid request: every bad field is listed in `errors`'),
  429: problem(
    'Rate limited (`rate-limited`: this token, agent or address) or the org’s events-per-minute quota (`event-quota-exceeded`); wait `Retry-After` seconds',
  ),
}

export const bodyProblems = {
  400: problem('Malformed JSON'),
  409: problem(
    'Conflicts with existing state (duplicate name, overlapping prefix...), or an org quota is reached (`quota-exceeded`)',
  ),
  413: problem('Body larger than 1 MiB'),
  415: problem('Body is not application/json'),
}

export const notFoundProblem = { 404: problem('No such object in this org') }
export const staleProblem = { 412: problem('If-Match names a version that is not current') }

export const noContent = { 204: { description: 'Done' } }
export const notModified = { 304: { description: 'Unchanged since the ETag in If-None-Match' } }

/** Answers a read with its ETag, or 304 when the client already has that version. */
export function withETag<T extends { version: number }>(c: Context, body: T): Response {
  const etag = etagFor(body.version)
  c.header('ETag', etag)
  const ifNoneMatch = c.req.header('if-none-match')
  if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    return c.body(null, 304)
  }
  return c.json(body, 200)
}

/** Sets the ETag of a written object; the handler then returns it with c.json. */
export function setETag<T extends { version: number }>(c: Context, body: T): T {
  c.header('ETag', etagFor(body.version))
  return body
}

export const ifMatchOf = (c: Context) => parseIfMatch(c.req.header('if-match'))
