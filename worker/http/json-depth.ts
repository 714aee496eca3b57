/**
 * Refuses JSON bodies nested deeper than MAX_JSON_DEPTH, before anything parses them.
 * JSON.parse copes with deep nesting, but what follows does not: validation, storage
 * (JSON.stringify of event details) and webhook payloads recurse, and 100,000 nested
 * arrays overflowed the stack into a 500. One linear pass over the bytes, no parsing:
 * brackets inside strings do not count. Every /v1 JSON body goes through it.
 */
import { createMiddleware } from 'hono/factory'
import { ProblemError } from '../errors'

/** Far above any body the API defines (a few levels) and free-form details need. */
export const MAX_JSON_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d

/**
 * The deepest nesting in the bytes, stopping early past `limit`. Works on UTF-8 bytes:
 * every byte of a multi-byte character is >= 0x80, so it never looks like a bracket.
 */
export function jsonDepth(bytes: Uint8Array, limit = MAX_JSON_DEPTH): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (inString) {
      if (b === BACKSLASH) i++
      else if (b === QUOTE) inString = false
    } else if (b === QUOTE) {
      inString = true
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--
    }
  }
  return deepest
}

const takesBody = (method: string) => method === 'POST' || method === 'PATCH' || method === 'PUT'

export const limitJsonDepth = createMiddleware(async (c, next) => {
  if (takesBody(c.req.method) && c.req.raw.body !== null) {
    // Hono caches the bytes: the validator and the agent signature check reuse them.
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    if (jsonDepth(bytes) > MAX_JSON_DEPTH) {
      throw new ProblemError(
        'malformed-json',
        `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
      )
    }
  }
  await next()
})
