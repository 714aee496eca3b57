/**
 * Retry-After clamping and the fair claim of due deliveries (docs/security.md, finding 4), on the
 * outbox itself over a migrated in-memory database: rows are written directly, so each
 * case states exactly which deliveries are due, leased or held.
 */
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../worker/db/client'
import { applyMigrations } from '../../worker/db/migrate'
import { openNodeDb } from '../../worker/db/node'
import { webhookDeliveries, webhookEndpoints } from '../../worker/db/schema'
import {
  backoffMs,
  clampRetryAfter,
  RETRY_CAP_MS,
  retryDelayMs,
} from '../../worker/services/webhooks/backoff'
import { recordEndpointDisabled } from '../../worker/services/webhooks/disabled-event'
import { claimDue, completeAttempt, LEASE_MS } from '../../worker/services/webhooks/outbox'

describe('Retry-After clamp', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('finding 4: a receiver cannot ask for less than the base or more than the cap', () => {
    expect(clampRetryAfter(0, 250)).toBe(250)
    expect(clampRetryAfter(1_000, 250)).toBe(1_000)
    expect(clampRetryAfter(86_400_000, 250)).toBe(RETRY_CAP_MS)
    expect(retryDelayMs('0', 1, now, 0.5)).toBe(30_000)
    expect(retryDelayMs('0', 1, now, 0.5, 250)).toBe(250)
    expect(retryDelayMs('120', 1, now, 0.5)).toBe(120_000)
    expect(retryDelayMs('86400', 1, now, 0.5)).toBe(RETRY_CAP_MS)
    // A date in the past is "now": the base.
    expect(retryDelayMs('Wed, 31 Dec 2025 23:00:00 GMT', 1, now, 0.5, 250)).toBe(250)
    // Without a (readable) Retry-After the schedule applies, jitter and all.
    expect(retryDelayMs(null, 3, now, 0.2, 250)).toBe(backoffMs(3, 0.2, 250))
    expect(retryDelayMs('soon', 3, now, 0.2, 250)).toBe(backoffMs(3, 0.2, 250))
  })
})

const NOW = 1_800_000_000_000
let db: Db
let close = () => {}
let seq = 0

beforeEach(async () => {
  const opened = await openNodeDb({ url: ':memory:' })
  db = opened.db
  close = opened.close
  await applyMigrations(db)
})
afterEach(() => close())

async function endpoint(orgId: string, heldUntil: number | null = null) {
  const id = `wh_${orgId}_${++seq}`
  await db.insert(webhookEndpoints).values({
    id,
    orgId,
    url: 'https://example.com/hook',
    eventTypes: ['*'],
    format: 'json',
    enabled: true,
    secret: 'whsec_x',
    heldUntil,
    createdAt: NOW,
    updatedAt: NOW,
  })
  return id
}

/** `count` due deliveries to the endpoint, due from `dueAt` on (one ms apart). */
async function queue(orgId: string, endpointId: string, count: number, dueAt = NOW - 10_000) {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const id = `msg_${String(++seq).padStart(4, '0')}`
    ids.push(id)
    await db.insert(webhookDeliveries).values({
      id,
      orgId,
      endpointId,
      messageType: 'path.down',
      payload: '{}',
      status: 'pending',
      nextAttemptAt: dueAt + i,
      retryUntil: NOW + 86_400_000,
      createdAt: dueAt + i,
    })
  }
  return ids
}

const claim = (limit: number, perOrg = limit, owner = 'd1', now = NOW) =>
  claimDue(db, owner, now, limit, perOrg)

describe('fair claim', () => {
  it('finding 4: one row in flight per endpoint, the oldest first', async () => {
    const a = await endpoint('org_a')
    const ids = await queue('org_a', a, 5)
    const first = await claim(16)
    expect(first.map((r) => r.id)).toEqual([ids[0]])
    // Its lease is live: the endpoint's next row waits, for this or any dispatcher.
    expect(await claim(16, 16, 'd2')).toEqual([])
    // A lease that ran out (a dispatcher died) frees the endpoint again.
    const later = await claim(16, 16, 'd2', NOW + LEASE_MS)
    expect(later.map((r) => r.id)).toEqual([ids[0]])
  })

  it("finding 4: one org's backlog does not fill the batch ahead of another org", async () => {
    const hostile = await Promise.all(Array.from({ length: 6 }, () => endpoint('org_a')))
    for (const e of hostile) await queue('org_a', e, 3, NOW - 60_000)
    const b = await endpoint('org_b')
    const [bRow] = await queue('org_b', b, 1, NOW - 1_000)
    // Oldest-first would hand both slots to org A; round-robin gives B the second.
    const two = await claim(2, 4)
    expect(two.map((r) => r.orgId).sort()).toEqual(['org_a', 'org_b'])
    expect(two.some((r) => r.id === bRow)).toBe(true)
  })

  it('finding 4: at most perOrg in flight per org, counting live leases', async () => {
    const hostile = await Promise.all(Array.from({ length: 6 }, () => endpoint('org_a')))
    for (const e of hostile) await queue('org_a', e, 2)
    const b = await endpoint('org_b')
    await queue('org_b', b, 1)
    const first = await claim(16, 4)
    const count = (rows: { orgId: string }[], org: string) =>
      rows.filter((r) => r.orgId === org).length
    expect(count(first, 'org_a')).toBe(4)
    expect(count(first, 'org_b')).toBe(1)
    expect(new Set(first.map((r) => r.endpointId)).size).toBe(first.length)
    // Org A's four leases are live: another dispatcher gets nothing more for A.
    expect(count(await claim(16, 4, 'd2'), 'org_a')).toBe(0)
  })

  it('finding 4: a held endpoint is skipped until its hold ends', async () => {
    const held = await endpoint('org_a', NOW + 5_000)
    const [row] = await queue('org_a', held, 1)
    expect(await claim(16)).toEqual([])
    const later = await claim(16, 16, 'd1', NOW + 5_000)
    expect(later.map((r) => r.id)).toEqual([row])
  })

  it('finding 4: a retryable failure holds the endpoint for the clamped Retry-After', async () => {
    const e = await endpoint('org_a')
    await queue('org_a', e, 3)
    const [row] = await claim(16)
    const result = await completeAttempt(
      db,
      row!,
      'd1',
      {
        outcome: { kind: 'retry', status: 503, error: 'HTTP 503', retryAfter: '0' },
        startedAt: NOW,
        latencyMs: 5,
      },
      NOW,
      0.5,
      recordEndpointDisabled,
      250,
    )
    expect(result).toBe('retry')
    const [stored] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, e))
    expect(stored!.heldUntil).toBe(NOW + 250)
    // The endpoint's other due rows wait for the hold too: no storm of first attempts.
    expect(await claim(16, 16, 'd1', NOW + 249)).toEqual([])
    expect(await claim(16, 16, 'd1', NOW + 250)).toHaveLength(1)
  })
})
