/**
 * Applies the bundled drizzle-kit migrations (migrations/bundle.json). Same bookkeeping
 * table and rule as drizzle's own libSQL migrator (`__drizzle_migrations`, apply every
 * migration newer than the last recorded one), so drizzle-kit and this code agree; unlike
 * drizzle's, it needs no file system, so it runs on Workers too. The whole set is one
 * batch: it applies entirely or not at all.
 */
import { sql } from 'drizzle-orm'
import bundle from '../../migrations/bundle.json'
import type { Db } from './client'

export interface Migration {
  sql: string[]
  folderMillis: number
  hash: string
}

export const bundledMigrations: Migration[] = bundle

const TABLE = '__drizzle_migrations'

async function lastAppliedMillis(db: Db): Promise<number | undefined> {
  await db.run(
    sql.raw(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    ),
  )
  return newestRecorded(db)
}

async function newestRecorded(db: Db): Promise<number | undefined> {
  const rows = await db.all<{ created_at: number | string }>(
    sql.raw(`SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`),
  )
  const last = rows[0]?.created_at
  return last === undefined ? undefined : Number(last)
}

/** Returns how many migrations were applied (0 when the database was up to date). */
export async function applyMigrations(
  db: Db,
  migrations: Migration[] = bundledMigrations,
): Promise<number> {
  // Two instances may start together: if our batch loses the race (its CREATE TABLE fails
  // because the other applied it), re-read and try once more.
  for (let attempt = 0; ; attempt++) {
    const last = await lastAppliedMillis(db)
    const pending = migrations.filter((m) => last === undefined || last < m.folderMillis)
    if (pending.length === 0) return 0
    const statements = pending.flatMap((m) => [
      ...m.sql.map((s) => db.run(sql.raw(s))),
      db.run(
        sql`INSERT INTO ${sql.identifier(TABLE)} ("hash", "created_at") VALUES (${m.hash}, ${m.folderMillis})`,
      ),
    ])
    try {
      await db.batch(statements as [(typeof statements)[number], ...typeof statements])
      return pending.length
    } catch (error) {
      if (attempt >= 1) throw error
    }
  }
}

/** True when every bundled migration is recorded as applied. */
export async function migrationsUpToDate(
  db: Db,
  migrations: Migration[] = bundledMigrations,
): Promise<boolean> {
  const newest = migrations.at(-1)?.folderMillis
  const last = await newestRecorded(db)
  return newest === undefined || (last !== undefined && last >= newest)
}
