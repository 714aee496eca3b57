/**
 * agents_active_wg_key_uq (docs/security.md, finding 3): one active agent per WireGuard key. The
 * service checks first; this index is what answers a race, and its migration must not
 * fail on a database that already holds duplicates.
 */
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { isUniqueViolation, uniqueViolationMessage } from './errors'
import { applyMigrations, bundledMigrations } from './migrate'
import { openNodeDb } from './node'

const KEY = 'd2lyZWd1YXJkLWtleS1mb3ItdGhlLWluZGV4LXRlc3Q='

function insertAgent(id: string, site: string, enrolledAt: number, revokedAt: number | null) {
  return sql`INSERT INTO agents (id, org_id, site_id, identity_public_key, wireguard_public_key,
    hostname, agent_version, enrolled_at, revoked_at)
    VALUES (${id}, 'org', ${site}, ${`idk-${id}`}, ${KEY}, 'h', '0.1.0', ${enrolledAt}, ${revokedAt})`
}

const activeWithKey = sql`SELECT id FROM agents WHERE wireguard_public_key = ${KEY}
  AND revoked_at IS NULL ORDER BY id`

describe('agents_active_wg_key_uq', () => {
  it('migrating keeps the first enrollment of a duplicated key and revokes the later ones', async () => {
    const { db, close } = await openNodeDb({ url: ':memory:' })
    try {
      const index = bundledMigrations.findIndex((m) =>
        m.sql.some((s) => s.includes('agents_active_wg_key_uq')),
      )
      expect(index).toBeGreaterThan(0)
      await applyMigrations(db, bundledMigrations.slice(0, index))
      await db.run(insertAgent('a1', 's1', 1000, null))
      await db.run(insertAgent('a2', 's2', 2000, null))
      await db.run(insertAgent('a3', 's3', 500, 900))
      await applyMigrations(db)
      expect(await db.all(activeWithKey)).toEqual([{ id: 'a1' }])
    } finally {
      close()
    }
  })

  it('refuses a second active agent with one key, with a message naming the column', async () => {
    const { db, close } = await openNodeDb({ url: ':memory:' })
    try {
      await applyMigrations(db)
      await db.run(insertAgent('a1', 's1', 1000, null))
      const error = await db.run(insertAgent('a2', 's2', 2000, null)).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isUniqueViolation(error)).toBe(true)
      expect(uniqueViolationMessage(error)).toContain('wireguard_public_key')
      // A revoked agent's key is not held: the same key may sit on revoked rows.
      await db.run(insertAgent('a3', 's3', 3000, 3500))
      expect(await db.all(activeWithKey)).toEqual([{ id: 'a1' }])
    } finally {
      close()
    }
  })
})
