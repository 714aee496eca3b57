/**
 * Time for agent logic, injected (docs/house-style.md, rule 5) so that loops, backoff and timeouts
 * are tested with a fake clock instead of real waiting. `now()` is epoch milliseconds.
 */

export interface Clock {
  now(): number
  /**
   * Resolves after `ms`, or early (never rejecting) when `signal` aborts: callers check
   * `signal.aborted` afterwards, so a shutdown is not an error path.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      signal?.addEventListener('abort', done, { once: true })
    })
  },
}
