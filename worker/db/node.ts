/**
 * Node database factory. `file:` URLs are the embedded default (a single-machine install);
 * `libsql://`, `http(s)://` and `ws(s)://` reach a libSQL server or Turso.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { type Client, createClient } from '@libsql/client'
import type { Tracer } from '@opentelemetry/api'
import { drizzle } from 'drizzle-orm/libsql'
import { tracedClient } from '../observability/db'
import type { Db } from './client'
import * as schema from './schema'
import { serializedClient } from './serialized-client'

export interface NodeDbOptions {
  url: string
  authToken?: string | undefined
  /** Tracing on: every query is a span (observability/db.ts). */
  tracer?: Tracer | undefined
}

export async function openNodeDb(options: NodeDbOptions): Promise<{ db: Db; close(): void }> {
  const isFile = options.url.startsWith('file:')
  if (isFile) {
    const path = options.url.slice('file:'.length)
    mkdirSync(dirname(path), { recursive: true })
  }
  if (!isFile && options.url !== ':memory:') {
    // A libSQL server or Turso handles concurrent writers itself.
    const client = createClient({ url: options.url, authToken: options.authToken })
    return { db: drizzle(traced(client), { schema }), close: () => client.close() }
  }
  // Embedded: one writer connection behind an async queue, readers from a pool
  // (serialized-client.ts says why). timeout = SQLite busy timeout, a last resort now.
  const writer = createClient({ url: options.url, timeout: 5000, concurrency: 1 })
  if (isFile) {
    // WAL lets readers proceed beside the writer; NORMAL is the durable-enough setting
    // for WAL (no fsync per commit).
    await writer.execute('PRAGMA journal_mode = WAL')
    await writer.execute('PRAGMA synchronous = NORMAL')
  }
  const reader = isFile ? createClient({ url: options.url, timeout: 5000 }) : writer
  const client = serializedClient(reader, writer)
  return { db: drizzle(traced(client), { schema }), close: () => client.close() }

  function traced(c: Client): Client {
    return options.tracer ? tracedClient(c, options.tracer) : c
  }
}
