/**
 * Ids for alerting and webhook objects, in the same time-ordered form as protocol/ids.ts
 * (`<prefix>_<12 hex ms><16 hex random>`), so cursor pagination works on them unchanged.
 */
import { timeOrderedId } from '../../../protocol/ids'

export type AlertingIdKind = 'whk' | 'msg' | 'arl' | 'alr' | 'sil'

export function alertingId(prefix: AlertingIdKind, nowMs: number): string {
  return timeOrderedId(prefix, nowMs)
}
