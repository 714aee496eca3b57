/**
 * A Clock for the prober with sub-millisecond `now()`: Date.now() counts whole milliseconds,
 * too coarse for LAN round trips and jitter. performance.timeOrigin + performance.now() is
 * epoch milliseconds with microsecond resolution and does not step with the wall clock
 * between process start and now.
 */
import { performance } from 'node:perf_hooks'
import { type Clock, systemClock } from '../../clock'

export const preciseSystemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => systemClock.sleep(ms, signal),
}
