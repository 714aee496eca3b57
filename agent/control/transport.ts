/**
 * One HTTP exchange with the control plane: timeout through the injected clock (so tests
 * never wait), caller cancellation, and network failures mapped to
 * ControlPlaneUnreachableError with the URL in the message.
 *
 * The timeout covers reading the answer too (the `read` callback runs under it): a server
 * or path attacker that sends headers and then trickles the body cannot hold the agent
 * past the deadline. Redirects are not followed: the agent talks to the URL it enrolled
 * with, and following one could carry a request (the enrollment token) to plain HTTP.
 */
import type { Clock } from '../clock'
import { ControlPlaneProblemError, ControlPlaneUnreachableError, ProtocolError } from './errors'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export async function exchange<T>(
  fetchFn: FetchLike,
  clock: Clock,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  read: (response: Response) => Promise<T>,
): Promise<T> {
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
  const within = `within ${Math.round(timeoutMs / 1000)} s`
  try {
    let response: Response
    try {
      response = await fetchFn(url, { ...init, redirect: 'manual', signal: controller.signal })
    } catch (error) {
      if (signal?.aborted) throw error
      const reason = timedOut ? `no answer ${within}` : describeNetworkError(error)
      throw new ControlPlaneUnreachableError(`reach control plane ${url}: ${reason}`, {
        cause: error,
      })
    }
    try {
      return await read(response)
    } catch (error) {
      if (signal?.aborted) throw error
      if (!timedOut && isTyped(error)) throw error
      // Aborting the request also aborts its body stream: say why the read stopped.
      await response.body?.cancel().catch(() => {})
      const reason = timedOut ? `answer not complete ${within}` : describeNetworkError(error)
      throw new ControlPlaneUnreachableError(`reach control plane ${url}: ${reason}`, {
        cause: error,
      })
    }
  } finally {
    timerStop.abort()
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The client's own verdicts on an answer, as opposed to a connection lost mid-body. */
function isTyped(error: unknown): boolean {
  return error instanceof ProtocolError || error instanceof ControlPlaneProblemError
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeNetworkError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } }
  const cause = err.cause
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return err.message ?? String(error)
}
