/**
 * Site label selectors, as operators write them in alert rules and silences:
 * comma-separated terms, all of which must hold —
 *   `key=value`, `key!=value`, `key=~regex`, `key!~regex` (whole-value match), `key`
 *   (label present), `!key` (absent).
 * Parsed and checked when a rule is written (a bad regex is a 422 then, never a failed
 * evaluation later).
 *
 * Regexes use RE2 syntax and semantics (re2js): matching is linear in the label's length
 * whatever the pattern, so an operator's selector cannot stall event ingestion with
 * catastrophic backtracking (`(a+)+b` against a long value took seconds with RegExp).
 * RE2 has no lookaround or backreferences: those are refused as unsupported syntax.
 */
import { RE2JS } from 're2js'

/** A compiled regex term: only whole-value matching is used. */
interface Matcher {
  matches(input: string): boolean
}

export type Term =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: '=~' | '!~'; regex: Matcher }
  | { key: string; op: 'exists' | 'absent' }

const KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/
export const MAX_SELECTOR_LENGTH = 500
const MAX_REGEX_LENGTH = 200

/** RE2's parse error, without the library's class name: it is shown to the operator. */
function compileRegex(pattern: string): Matcher | string {
  try {
    return RE2JS.compile(pattern)
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/** The parsed selector, or an error message. */
export function parseSelector(text: string): Term[] | string {
  if (text.length > MAX_SELECTOR_LENGTH) return `at most ${MAX_SELECTOR_LENGTH} characters`
  const terms: Term[] = []
  for (const raw of text.split(',')) {
    const part = raw.trim()
    if (part === '') return 'empty term (stray comma?)'
    const m = /^(!?)([^=!~\s]+)\s*(?:(=~|!~|!=|==?)\s*(.*))?$/.exec(part)
    if (!m) return `cannot parse "${part}"`
    const [, not, key = '', op, value = ''] = m
    if (!KEY.test(key)) return `"${key}" is not a label key`
    if (op === undefined) {
      terms.push({ key, op: not ? 'absent' : 'exists' })
      continue
    }
    if (not) return `"!" only negates a bare key, as in "!${key}"`
    if (op === '=~' || op === '!~') {
      if (value.length > MAX_REGEX_LENGTH) return `regex longer than ${MAX_REGEX_LENGTH}`
      const regex = compileRegex(value)
      if (typeof regex === 'string') {
        return `invalid or unsupported regex for "${key}" (RE2 syntax): ${regex}`
      }
      terms.push({ key, op, regex })
      continue
    }
    terms.push({ key, op: op === '!=' ? '!=' : '=', value })
  }
  return terms
}

/**
 * Selectors compiled once per text and kept: every stored event is matched against every
 * rule and silence of its org, and compiling a regex costs far more than matching it. A
 * bounded map (oldest entry out first) so distinct texts cannot grow it without limit.
 */
const CACHE_LIMIT = 1000
const compiled = new Map<string, Term[] | string>()

export function compiledSelector(text: string): Term[] | string {
  const hit = compiled.get(text)
  if (hit !== undefined) return hit
  const terms = parseSelector(text)
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string)
  compiled.set(text, terms)
  return terms
}

export function matchesSelector(terms: readonly Term[], labels: Record<string, string>): boolean {
  return terms.every((t) => {
    const value = labels[t.key]
    switch (t.op) {
      case 'exists':
        return value !== undefined
      case 'absent':
        return value === undefined
      case '=':
        return value === t.value
      case '!=':
        return value !== t.value
      case '=~':
        return value !== undefined && t.regex.matches(value)
      case '!~':
        return value === undefined || !t.regex.matches(value)
      default:
        return false
    }
  })
}

export interface SiteFilter {
  siteIds: string[] | null
  siteSelector: string | null
}

/**
 * Whether a filter (a rule's or a silence's) covers the site: no filter covers every
 * event, org-wide ones included; site ids and a selector must each match when given. A
 * selector stored before a syntax change that no longer compiles matches nothing.
 */
export function siteFilterMatches(
  filter: SiteFilter,
  siteId: string | null,
  labels: Record<string, string> | null,
): boolean {
  if (!filter.siteIds && !filter.siteSelector) return true
  if (!siteId) return false
  if (filter.siteIds && !filter.siteIds.includes(siteId)) return false
  if (filter.siteSelector) {
    const terms = compiledSelector(filter.siteSelector)
    if (typeof terms === 'string' || !labels) return false
    return matchesSelector(terms, labels)
  }
  return true
}
