/**
 * Branded identifiers: a SiteId cannot be passed where an AgentId is expected, although
 * both are strings on the wire. Ids are `<prefix>_<12 hex ms time><16 hex random>`, so
 * they sort by creation time (cursor pagination relies on that).
 */
export type Brand<T, B extends string> = T & { readonly __brand: B }

export type OrgId = Brand<string, 'OrgId'>
export type TokenId = Brand<string, 'TokenId'>
export type SiteId = Brand<string, 'SiteId'>
export type UplinkId = Brand<string, 'UplinkId'>
export type PolicyId = Brand<string, 'PolicyId'>
export type AgentId = Brand<string, 'AgentId'>

export const ID_PREFIX = {
  org: 'org',
  token: 'tok',
  site: 'site',
  uplink: 'upl',
  policy: 'pol',
  application: 'app',
  audit: 'aud',
  agent: 'agt',
  enrollment: 'enr',
  event: 'evt',
  scorer: 'scr',
} as const

export type IdKind = keyof typeof ID_PREFIX

/** The 12 hex digits of creation time (epoch ms) every id starts with after its prefix. */
const timeHex = (ms: number) => Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0')

/** `<prefix>_<12 hex ms><16 hex random>`: the one id format, whatever the prefix. */
export function timeOrderedId(prefix: string, nowMs: number): string {
  const random = crypto.getRandomValues(new Uint8Array(8))
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${prefix}_${timeHex(nowMs)}${hex}`
}

export function newId(kind: IdKind, nowMs: number): string {
  return timeOrderedId(ID_PREFIX[kind], nowMs)
}

/**
 * The smallest id with `prefix` created at or after `ms`: `id >= idFloor(...)` selects rows
 * by creation time along the primary key (quotas, retention).
 */
export const idFloor = (prefix: string, ms: number): string => `${prefix}_${timeHex(ms)}`

/** The creation time (epoch ms) an id carries. */
export const idTime = (id: string): number => {
  const start = id.indexOf('_') + 1
  return Number.parseInt(id.slice(start, start + 12), 16)
}

export const ID_PATTERN = /^[a-z]{2,5}_[0-9a-f]{28}$/
