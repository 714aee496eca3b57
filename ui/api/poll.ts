/**
 * usePoll: load once, then refresh every few seconds while the tab is visible, so pages
 * stay live without a reload. Reads with an ETag come back from the client as the same
 * object on a 304, and an unchanged result keeps its old reference (no re-render).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export const POLL_MS = 5000

export interface Polled<T> {
  data: T | undefined
  error: Error | undefined
  reload: () => Promise<void>
}

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<Error | undefined>(undefined)
  const last = useRef<string>('')
  const loader = useRef(load)
  loader.current = load

  const reload = useCallback(async () => {
    try {
      const next = await loader.current()
      const text = JSON.stringify(next)
      if (text !== last.current) {
        last.current = text
        setData(next)
      }
      setError(undefined)
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)))
    }
  }, [])

  useEffect(() => {
    last.current = ''
    setData(undefined)
    void reload()
    if (everyMs <= 0) return
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void reload()
    }, everyMs)
    return () => clearInterval(timer)
  }, deps)

  return { data, error, reload }
}
