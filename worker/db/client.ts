/**
 * The database handle every service takes. Both runtimes build the same drizzle libSQL
 * database: Node over @libsql/client (file, :memory: or a server), Workers over
 * @libsql/client/web (HTTP to sqld or Turso). Services never see which.
 */
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type * as schema from './schema'

export type Db = LibSQLDatabase<typeof schema>

/** A transaction handle: same query API as Db, all-or-nothing. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Either the database or an open transaction: helpers that may run inside one take this. */
export type DbOrTx = Db | Tx
