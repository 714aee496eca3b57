import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readBundleFromFolder } from '../../scripts/bundle-migrations'
import { applyMigrations, bundledMigrations, migrationsUpToDate } from './migrate'
import { openNodeDb } from './node'

describe('migrations', () => {
  it('the bundle both runtimes apply matches the SQL that drizzle-kit generated', () => {
    expect(bundledMigrations).toEqual(readBundleFromFolder('migrations'))
  })

  it('apply to an empty database, then re-apply as a no-op', async () => {
    const { db, close } = await openNodeDb({ url: ':memory:' })
    try {
      expect(await applyMigrations(db)).toBe(bundledMigrations.length)
      expect(await migrationsUpToDate(db)).toBe(true)
      const tables = await db.all<{ name: string }>(
        sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`,
      )
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['orgs', 'sites', 'uplinks', 'policies']),
      )
      expect(await applyMigrations(db)).toBe(0)
      const recorded = await db.all(sql`SELECT hash FROM __drizzle_migrations`)
      expect(recorded).toHaveLength(bundledMigrations.length)
    } finally {
      close()
    }
  })

  it('a failing migration applies nothing', async () => {
    const { db, close } = await openNodeDb({ url: ':memory:' })
    try {
      const broken = [
        { sql: ['CREATE TABLE a (x int)', 'THIS IS NOT SQL'], folderMillis: 1, hash: 'h1' },
      ]
      await expect(applyMigrations(db, broken)).rejects.toThrow()
      const tables = await db.all(sql`SELECT name FROM sqlite_master WHERE name = 'a'`)
      expect(tables).toEqual([])
    } finally {
      close()
    }
  })
})
