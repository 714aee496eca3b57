import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { openNodeDb } from './node'
import { AsyncQueue, isReadOnly } from './serialized-client'

const dir = mkdtempSync(join(tmpdir(), 'patronus-serial-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('embedded database writes', () => {
  it('overlapping transactions that await inside, and single writes beside them, all succeed without stalling', async () => {
    const { db, close } = await openNodeDb({ url: `file:${join(dir, 'a.db')}` })
    try {
      await db.run(sql`CREATE TABLE t (k integer primary key, v integer)`)
      const began = Date.now()
      const work = Array.from({ length: 8 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.run(sql`INSERT INTO t (k, v) VALUES (${i}, 0)`)
          await tick() // e.g. hashing a token: lets other requests in while the lock is held
          await tx.run(sql`UPDATE t SET v = v + 1 WHERE k = ${i}`)
        }),
      )
      const singles = Array.from({ length: 8 }, (_, i) =>
        db.run(sql`INSERT INTO t (k, v) VALUES (${100 + i}, 1)`),
      )
      await Promise.all([...work, ...singles])
      // Without the writer queue each overlap waited for SQLite's 5 s busy timeout.
      expect(Date.now() - began).toBeLessThan(3000)
      const rows = await db.all<{ n: number; s: number }>(
        sql`SELECT count(*) AS n, sum(v) AS s FROM t`,
      )
      expect(rows[0]).toEqual({ n: 16, s: 16 })
    } finally {
      close()
    }
  })

  it('a failed transaction releases the writer and changes nothing; reads run beside an open transaction', async () => {
    const { db, close } = await openNodeDb({ url: `file:${join(dir, 'b.db')}` })
    try {
      await db.run(sql`CREATE TABLE t (k integer primary key)`)
      await expect(
        db.transaction(async (tx) => {
          await tx.run(sql`INSERT INTO t (k) VALUES (1)`)
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      let readDuringTx: unknown
      await db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t (k) VALUES (2)`)
        // A pooled reader sees the last committed state, not the open transaction.
        readDuringTx = await db.all(sql`SELECT k FROM t`)
      })
      expect(readDuringTx).toEqual([])
      expect(await db.all(sql`SELECT k FROM t`)).toEqual([{ k: 2 }])
    } finally {
      close()
    }
  })

  it('routes only plain SELECTs to readers', () => {
    expect(isReadOnly('select * from t')).toBe(true)
    expect(isReadOnly('  SELECT 1')).toBe(true)
    expect(isReadOnly('insert into t values (1) returning *')).toBe(false)
    expect(isReadOnly('PRAGMA journal_mode = WAL')).toBe(false)
    expect(isReadOnly('with x as (select 1) delete from t')).toBe(false)
  })

  it('the queue is first in, first out', async () => {
    const queue = new AsyncQueue()
    const order: number[] = []
    await Promise.all(
      [3, 1, 2].map((delay, i) =>
        queue.run(async () => {
          await new Promise((r) => setTimeout(r, delay))
          order.push(i)
        }),
      ),
    )
    expect(order).toEqual([0, 1, 2])
  })
})
