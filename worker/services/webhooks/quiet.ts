/**
 * Node only. The embedded libSQL driver is synchronous: a statement that meets another
 * connection's open write transaction busy-waits on the event loop, so the transaction
 * (which needs the loop to finish) cannot commit and both stall for the busy timeout.
 * The dispatcher therefore writes only while no mutating request is in flight: requests
 * are counted here, and `quiet()` waits (briefly) for the count to reach zero.
 */
export class RequestTracker {
  private inFlight = 0
  private waiters: (() => void)[] = []

  async track<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight++
    try {
      return await run()
    } finally {
      this.inFlight--
      if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake()
    }
  }

  /** Resolves when no tracked request is running, or after `maxWaitMs` regardless. */
  quiet(maxWaitMs = 2000): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxWaitMs)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.push(done)
    })
  }
}
