/**
 * Wakes long-polling agents when their site's revision changes. In one Node process the
 * notification is immediate (in-memory listeners); other instances (Workers isolates,
 * several Node processes on one libSQL server) cannot hear it, so the long-poll also
 * re-reads the revision every `pollIntervalMs` (config.ts / wrangler.toml).
 */

export interface RevisionNotifier {
  publish(siteIds: readonly string[]): void
  /** Resolves on the next publish for the site, or when `signal` aborts. */
  next(siteId: string, signal: AbortSignal): Promise<void>
}

export class InProcessNotifier implements RevisionNotifier {
  private readonly waiters = new Map<string, Set<() => void>>()

  publish(siteIds: readonly string[]): void {
    for (const id of siteIds) {
      const set = this.waiters.get(id)
      if (!set) continue
      this.waiters.delete(id)
      for (const wake of set) wake()
    }
  }

  next(siteId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      let set = this.waiters.get(siteId)
      if (!set) {
        set = new Set()
        this.waiters.set(siteId, set)
      }
      const wake = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        const current = this.waiters.get(siteId)
        current?.delete(wake)
        if (current?.size === 0) this.waiters.delete(siteId)
        resolve()
      }
      set.add(wake)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** For tests and metrics: how many long-polls are waiting. */
  get waiting(): number {
    let n = 0
    for (const set of this.waiters.values()) n += set.size
    return n
  }
}

/**
 * For Workers: a request cannot be woken by a promise that another request resolves
 * (workerd fails it with "Promise will never complete"), so long-polls there rely on the
 * periodic re-read alone. `next` resolves only when its own request aborts it.
 */
export class PollingOnlyNotifier implements RevisionNotifier {
  publish(): void {}

  next(_siteId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
    })
  }
}
