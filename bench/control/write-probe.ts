/**
 * Probes whether the control plane serves overlapping write transactions. SQLite's busy
 * handler waits synchronously on the one event loop: with a connection per transaction, a
 * transaction that awaited async work (hashing a token) let a second request in whose
 * BEGIN IMMEDIATE blocked the loop, stalling the server for the busy timeout and failing
 * one request with SQLITE_BUSY (500). The embedded database now queues writes on one
 * writer connection (worker/db/serialized-client.ts); this probe checks the symptom is
 * gone with concurrent writes.
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
