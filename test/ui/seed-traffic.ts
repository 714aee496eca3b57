/**
 * Classifier traffic for the seeded hub, sent as a real agent sends it: a `traffic` block of
 * per-class and per-application deltas with each signed telemetry batch (as
 * test/api/suite-traffic.ts does), one batch a minute for the last 45 minutes (well inside
 * the dashboard's "last hour" even when a test runs minutes later). The counts are fixed, so
 * tests can check the totals the dashboard shows.
 */
import type { TestAgent } from '../api/agent-client'

const MINUTE = 60_000
export const TRAFFIC_BATCHES = 45

/** Per batch: packets and bytes per packet, by seed policy name ("default" = unmatched). */
export const CLASS_TRAFFIC = {
  voice: { packets: 120, bytesPerPacket: 200 },
  'video-calls': { packets: 900, bytesPerPacket: 1100 },
  default: { packets: 400, bytesPerPacket: 800 },
} as const

export const APPLICATION_TRAFFIC = {
  rtp: { packets: 110, bytesPerPacket: 200 },
  sip: { packets: 10, bytesPerPacket: 200 },
  tls: { packets: 900, bytesPerPacket: 1100 },
  dns: { packets: 40, bytesPerPacket: 100 },
} as const

/** What the dashboard should total for one name over all the batches. */
export const totalOf = (t: { packets: number; bytesPerPacket: number }) => ({
  packets: t.packets * TRAFFIC_BATCHES,
  bytes: t.packets * t.bytesPerPacket * TRAFFIC_BATCHES,
})

/** `classIds` maps the seed policy names to their ids (the agent reports classes by id). */
export async function seedTraffic(
  agent: TestAgent,
  classIds: Record<string, string>,
  now: number,
): Promise<void> {
  for (let i = 0; i < TRAFFIC_BATCHES; i++) {
    const traffic = {
      at: now - (TRAFFIC_BATCHES - 1 - i) * MINUTE,
      classes: Object.entries(CLASS_TRAFFIC).map(([name, t]) => ({
        class: name === 'default' ? 'default' : classIds[name]!,
        packets: t.packets,
        bytes: t.packets * t.bytesPerPacket,
      })),
      applications: Object.entries(APPLICATION_TRAFFIC).map(([application, t]) => ({
        application,
        packets: t.packets,
        bytes: t.packets * t.bytesPerPacket,
      })),
    }
    const r = await agent.request('POST', '/v1/agent/telemetry', { samples: [], traffic })
    if (r.status !== 204) throw new Error(`traffic: ${r.status} ${JSON.stringify(r.body)}`)
  }
}
