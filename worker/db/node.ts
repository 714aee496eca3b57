/**
 * Node database factory. `file:` URLs are the embedded default (a single-machine install);
 * `libsql://`, `http(s)://` and `ws(s)://` reach a libSQL server or Turso.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import type { Db } from './client'
import * as schema from './schema'

export interface NodeDbOptions {
  url: string
  authToken?: string | undefined
}

export async function openNodeDb(options: NodeDbOptions): Promise<{ db: Db; close(): void }> {
  const isFile = options.url.startsWith('file:')
  if (isFile) {
    const path = options.url.slice('file:'.length)
    mkdirSync(dirname(path), { recursive: true })
  }
  // timeout = SQLite busy timeout: concurrent write transactions on the pool's connections
  // wait for each other instead of failing with SQLITE_BUSY.
  const client = createClient({ url: options.url, authToken: options.authToken, timeout: 5000 })
  if (isFile) {
    // WAL lets readers proceed while a write transaction is open on another connection.
    await client.execute('PRAGMA journal_mode = WAL')
  }
  return { db: drizzle(client, { schema }), close: () => client.close() }
}
