/**
 * Probes whether the control plane serves overlapping write transactions. On the embedded
 * database each transaction holds its own libSQL connection, and SQLite's busy handler
 * waits synchronously on the one event loop. A transaction that awaits real async work
 * (minting an enrollment token hashes it with WebCrypto inside the transaction) lets a
 * second request in; that one's BEGIN IMMEDIATE then blocks the event loop, so the first
 * cannot commit: the server stalls for the busy timeout and the second fails with
 * SQLITE_BUSY (500). Setup therefore writes one site at a time (BENCH_SETUP_CONCURRENCY
 * raises it); this probe records the symptom with concurrent token mints.
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
  const site = await admin.call<{ id: string }>('POST', '/v1/sites', { name: 'write-probe' })
  const results = await Promise.all(
    Array.from({ length: count }, async () => {
      const start = performance.now()
      const response = await fetch(`${admin.baseUrl}/v1/sites/${site.id}/enrollment-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        body: '{}',
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
