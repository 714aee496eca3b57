/**
 * One HTTP exchange with the control plane: timeout through the injected clock (so tests
 * never wait), caller cancellation, and network failures mapped to
 * ControlPlaneUnreachableError with the URL in the message.
 */
import type { Clock } from '../clock'
import { ControlPlaneUnreachableError } from './errors'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export async function exchange(
  fetchFn: FetchLike,
  clock: Clock,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  const controller = new AbortController()
  const onAbort = () => controller.abort(signal?.reason)
  if (signal?.aborted) onAbort()
  signal?.addEventListener('abort', onAbort, { once: true })
  // The timer's own signal stops it once the exchange settles, so it never lingers.
  const timerStop = new AbortController()
  let timedOut = false
  void clock.sleep(timeoutMs, timerStop.signal).then(() => {
    if (timerStop.signal.aborted) return
    timedOut = true
    controller.abort(new Error('timeout'))
  })
  try {
    return await fetchFn(url, { ...init, signal: controller.signal })
  } catch (error) {
    if (signal?.aborted) throw error
    const reason = timedOut
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : describeNetworkError(error)
    throw new ControlPlaneUnreachableError(`reach control plane ${url}: ${reason}`, {
      cause: error,
    })
  } finally {
    timerStop.abort()
    signal?.removeEventListener('abort', onAbort)
  }
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeNetworkError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } }
  const cause = err.cause
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return err.message ?? String(error)
}
