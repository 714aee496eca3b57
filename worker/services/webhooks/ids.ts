/**
 * Ids for alerting and webhook objects, in the same time-ordered form as protocol/ids.ts
 * (`<prefix>_<12 hex ms><16 hex random>`), so cursor pagination works on them unchanged.
 */
export type AlertingIdKind = 'whk' | 'msg' | 'arl' | 'alr' | 'sil'

export function alertingId(prefix: AlertingIdKind, nowMs: number): string {
  const random = crypto.getRandomValues(new Uint8Array(8))
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${prefix}_${Math.floor(nowMs).toString(16).padStart(12, '0')}${hex}`
}
