/**
 * Cursor pagination over time-ordered ids: a page is `id > cursor ORDER BY id LIMIT n`,
 * stable under concurrent inserts. The cursor is opaque to clients (base64url of the last
 * id) so that its form can change without breaking them.
 */
import { ID_PATTERN } from '../../protocol/ids'
import { ProblemError } from '../errors'

export interface PageRequest {
  limit: number
  cursor?: string | undefined
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export function encodeCursor(id: string): string {
  return btoa(id).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The id after which the page starts, or undefined for the first page. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  let id: string
  try {
    id = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    id = ''
  }
  if (!ID_PATTERN.test(id)) {
    throw new ProblemError('validation-failed', 'cursor is not one this API returned', {
      errors: [{ path: 'cursor', message: 'invalid cursor' }],
    })
  }
  return id
}

/** Rows were fetched with `limit + 1` to learn whether another page exists. */
export function toPage<R extends { id: string }, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  }
}
