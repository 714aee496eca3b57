/**
 * Probes whether the control plane serves two write requests at once. On the embedded
 * database each transaction holds its own libSQL connection, and SQLite's busy handler
 * waits synchronously on the one event loop: the first transaction cannot finish while
 * the second waits for it, so the second fails with SQLITE_BUSY after the busy timeout
 * and the whole server stalls meanwhile. The benchmark's setup therefore writes one
 * request at a time (BENCH_SETUP_CONCURRENCY raises it); this probe records the symptom.
 */
import type { AdminClient } from './admin.js'

export interface WriteProbeResult {
  concurrentRequests: number
  statuses: number[]
  ms: number[]
}

export async function probeConcurrentWrites(
  admin: AdminClient,
  count: number,
): Promise<WriteProbeResult> {
  const results = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const start = performance.now()
      const response = await fetch(`${admin.baseUrl}/v1/sites`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `write-probe-${i}`, prefixes: [`192.168.${i}.0/24`] }),
      })
      await response.text()
      return { status: response.status, ms: Math.round(performance.now() - start) }
    }),
  )
  return {
    concurrentRequests: count,
    statuses: results.map((r) => r.status),
    ms: results.map((r) => r.ms),
  }
}
