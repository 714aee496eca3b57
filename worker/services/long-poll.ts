/**
 * Long-poll for a site's config revision: answers as soon as the revision differs from the
 * one the agent has, or at the deadline. It subscribes to the notifier before reading the
 * database, so a change committed in between is never missed; the periodic re-read covers
 * changes made by other instances. A shutting-down process ends its polls early with the
 * revision the agent already has (a 304): the agent simply polls again, elsewhere or after
 * the restart, instead of holding the drain open for up to a minute.
 */
import type { Db } from '../db/client'
import { currentRevision } from './desired-state'
import type { RevisionNotifier } from './notifier'

export interface LongPollOptions {
  db: Db
  notifier: RevisionNotifier
  pollIntervalMs: number
  now: () => number
  /** Aborted when the process shuts down (AppDeps.shutdown); absent: never. */
  shutdown?: AbortSignal | undefined
}

export async function waitForRevisionChange(
  options: LongPollOptions,
  siteId: string,
  known: number,
  waitMs: number,
  clientGone: AbortSignal,
): Promise<number | undefined> {
  const deadline = options.now() + waitMs
  const stops = options.shutdown ? [clientGone, options.shutdown] : [clientGone]
  // Bounded: each round waits at least min(pollInterval, remaining) or for a wake-up.
  for (let round = 0; round < 100_000; round++) {
    const round$ = new AbortController()
    const onStop = () => round$.abort()
    for (const stop of stops) stop.addEventListener('abort', onStop, { once: true })
    const woken = options.notifier.next(siteId, round$.signal)
    try {
      const revision = await currentRevision(options.db, siteId)
      const remaining = deadline - options.now()
      const stopped = stops.some((stop) => stop.aborted)
      if (revision === undefined || revision !== known || remaining <= 0 || stopped) {
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
      for (const stop of stops) stop.removeEventListener('abort', onStop)
    }
  }
  return known
}
