import { DROP_REASONS, type DropReason } from './wire'

export type DropCounts = Record<DropReason, number>

export function emptyDrops(): DropCounts {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounts
}
