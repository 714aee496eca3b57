/**
 * Site label selectors, as operators write them in alert rules and silences:
 * comma-separated terms, all of which must hold —
 *   `key=value`, `key!=value`, `key=~regex`, `key!~regex` (whole-value match), `key`
 *   (label present), `!key` (absent).
 * Parsed and checked when a rule is written (a bad regex is a 422 then, never a failed
 * evaluation later).
 */

export type Term =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: '=~' | '!~'; regex: RegExp }
  | { key: string; op: 'exists' | 'absent' }

const KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/
export const MAX_SELECTOR_LENGTH = 500
const MAX_REGEX_LENGTH = 200

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
      try {
        terms.push({ key, op, regex: new RegExp(`^(?:${value})$`) })
      } catch (error) {
        return `invalid regex for "${key}": ${error instanceof Error ? error.message : error}`
      }
      continue
    }
    terms.push({ key, op: op === '!=' ? '!=' : '=', value })
  }
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
        return value !== undefined && t.regex.test(value)
      case '!~':
        return value === undefined || !t.regex.test(value)
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
 * event, org-wide ones included; site ids and a selector must each match when given.
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
    const terms = parseSelector(filter.siteSelector)
    if (typeof terms === 'string' || !labels) return false
    return matchesSelector(terms, labels)
  }
  return true
}
