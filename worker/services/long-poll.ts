/**
 * Long-poll for a site's config revision: answers as soon as the revision differs from the
 * one the agent has, or at the deadline. It subscribes to the notifier before reading the
 * database, so a change committed in between is never missed; the periodic re-read covers
 * changes made by other instances.
 */
import type { Db } from '../db/client'
import { currentRevision } from './desired-state'
import type { RevisionNotifier } from './notifier'

export interface LongPollOptions {
  db: Db
  notifier: RevisionNotifier
  pollIntervalMs: number
  now: () => number
}

export async function waitForRevisionChange(
  options: LongPollOptions,
  siteId: string,
  known: number,
  waitMs: number,
  clientGone: AbortSignal,
): Promise<number | undefined> {
  const deadline = options.now() + waitMs
  // Bounded: each round waits at least min(pollInterval, remaining) or for a wake-up.
  for (let round = 0; round < 100_000; round++) {
    const round$ = new AbortController()
    const onGone = () => round$.abort()
    clientGone.addEventListener('abort', onGone, { once: true })
    const woken = options.notifier.next(siteId, round$.signal)
    try {
      const revision = await currentRevision(options.db, siteId)
      const remaining = deadline - options.now()
      if (revision === undefined || revision !== known || remaining <= 0 || clientGone.aborted) {
        return revision
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        woken,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.min(options.pollIntervalMs, remaining))
        }),
      ])
      clearTimeout(timer)
    } finally {
      round$.abort()
      clientGone.removeEventListener('abort', onGone)
    }
  }
  return known
}
