/**
 * Optimistic concurrency: every row has a `version`; reads expose it as an ETag and
 * updates may say which version they expect (If-Match). A mismatch is a 412, so two
 * operators editing the same site cannot silently overwrite each other.
 */
import { ProblemError } from '../errors'

export const etagFor = (version: number) => `"${version}"`

/**
 * Parses an If-Match header into the versions it accepts: undefined = no condition,
 * '*' = any, otherwise the listed versions (weak or strong tags).
 */
export function parseIfMatch(header: string | undefined): '*' | number[] | undefined {
  if (header === undefined) return undefined
  if (header.trim() === '*') return '*'
  const versions: number[] = []
  for (const tag of header.split(',')) {
    const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(tag)
    if (match) versions.push(Number(match[1]))
  }
  return versions
}

export function assertVersion(
  condition: '*' | number[] | undefined,
  current: number,
  what: string,
): void {
  if (condition === undefined || condition === '*') return
  if (!condition.includes(current)) {
    throw new ProblemError(
      'precondition-failed',
      `${what} is at version ${current}; If-Match named ${condition.join(', ') || 'no valid ETag'}`,
      { currentETag: etagFor(current) },
    )
  }
}
