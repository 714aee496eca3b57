/**
 * Workers database factory: the libSQL HTTP client (no sockets, no file system), pointed
 * at a libSQL server or Turso by DATABASE_URL.
 */
import { createClient } from '@libsql/client/web'
import type { Tracer } from '@opentelemetry/api'
import { drizzle } from 'drizzle-orm/libsql/web'
import { tracedClient } from '../observability/db'
import type { Db } from './client'
import * as schema from './schema'

export function openWebDb(url: string, authToken?: string, tracer?: Tracer): Db {
  const client = createClient({ url, authToken })
  return drizzle(tracer ? tracedClient(client, tracer) : client, { schema }) as unknown as Db
}
