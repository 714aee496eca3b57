/**
 * Puts each of a problem's field errors next to the form field it concerns. The API names
 * fields by path ("match.destinationPrefixes.0"); a form field is keyed by a path prefix
 * ("match.destinationPrefixes"), and the item index, if any, is kept in the message.
 */
import { ApiError, type FieldError } from './client'

export interface PlacedErrors {
  byField: Record<string, string>
  /** Errors no field claims, and the problem detail when there are no field errors. */
  general: string[]
}

export function placeErrors(error: unknown, fields: readonly string[]): PlacedErrors {
  const placed: PlacedErrors = { byField: {}, general: [] }
  if (!error) return placed
  if (!(error instanceof ApiError)) {
    placed.general.push(error instanceof Error ? error.message : String(error))
    return placed
  }
  const list: FieldError[] = error.errors
  if (list.length === 0) placed.general.push(`${error.title}: ${error.message}`)
  for (const item of list) {
    const field = ownerOf(item.path, fields)
    if (!field) {
      placed.general.push(item.path ? `${item.path}: ${item.message}` : item.message)
      continue
    }
    const rest = item.path.slice(field.length).replace(/^\./, '')
    const index = /^\d+$/.test(rest) ? `item ${Number(rest) + 1}: ` : rest ? `${rest}: ` : ''
    const message = index + item.message
    placed.byField[field] = placed.byField[field] ? `${placed.byField[field]}; ${message}` : message
  }
  return placed
}

function ownerOf(path: string, fields: readonly string[]): string | undefined {
  let best: string | undefined
  for (const field of fields) {
    if (path === field || path.startsWith(`${field}.`)) {
      if (!best || field.length > best.length) best = field
    }
  }
  return best
}
