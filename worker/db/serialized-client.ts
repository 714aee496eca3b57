/**
 * The embedded (file) database behind one writer. The local libSQL driver is synchronous:
 * a write that finds the database locked waits for the lock *inside* the call, blocking the
 * event loop, so a transaction that awaits anything (a hash, another query) while a second
 * request starts writing stalls the whole server until the busy timeout, then fails
 * (found by bench:control). So every write - single statements, batches and whole
 * transactions - goes through one async queue to one writer connection, and reads go to
 * the pool (WAL lets them run beside the writer).
 *
 * The writer uses `synchronous = NORMAL`, the setting SQLite recommends with WAL: a commit
 * no longer waits for an fsync (5 ms each here), and the database stays consistent; a
 * power cut can lose the last commits, not corrupt the file.
 */
import type {
  Client,
  InArgs,
  InStatement,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/client'

/** A FIFO async mutex: `run` waits for every earlier holder to finish. */
export class AsyncQueue {
  private tail: Promise<unknown> = Promise.resolve()

  /** Resolves to a release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const ready = this.tail.then(() => release)
    this.tail = this.tail.then(() => held)
    return ready
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire()
    try {
      return await work()
    } finally {
      release()
    }
  }
}

function sqlOf(stmt: InStatement | string): string {
  return typeof stmt === 'string' ? stmt : stmt.sql
}

/**
 * Statements that only read may use any pooled connection. Only plain SELECTs qualify;
 * anything else (INSERT ... RETURNING, PRAGMA, DDL) goes to the writer.
 */
export function isReadOnly(sql: string): boolean {
  return /^\s*select\b/i.test(sql)
}

/**
 * `reader` may be the writer itself (an in-memory database has one connection only): then
 * reads queue too, since a single connection cannot serve them while a transaction holds it.
 */
export function serializedClient(reader: Client, writer: Client): Client {
  const readsQueue = reader === writer
  const queue = new AsyncQueue()
  const onWriter = <T>(work: () => Promise<T>) => queue.run(work)
  const client = {
    get closed() {
      return writer.closed
    },
    get protocol() {
      return writer.protocol
    },
    execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
      const statement: InStatement =
        typeof stmt === 'string' ? { sql: stmt, args: args ?? [] } : stmt
      return isReadOnly(sqlOf(statement)) && !readsQueue
        ? reader.execute(statement)
        : onWriter(() => writer.execute(statement))
    },
    batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode) {
      return onWriter(() => writer.batch(stmts, mode))
    },
    migrate(stmts: Array<InStatement>) {
      return onWriter(() => writer.migrate(stmts))
    },
    executeMultiple(sql: string) {
      return onWriter(() => writer.executeMultiple(sql))
    },
    async transaction(mode?: TransactionMode): Promise<Transaction> {
      const release = await queue.acquire()
      let tx: Transaction
      try {
        tx = await writer.transaction(mode ?? 'write')
      } catch (error) {
        release()
        throw error
      }
      let released = false
      const done = () => {
        if (!released) {
          released = true
          release()
        }
      }
      // The writer is held until the transaction settles, whichever way it ends.
      return Object.assign(Object.create(tx) as Transaction, {
        execute: (s: InStatement) => tx.execute(s),
        batch: (s: Array<InStatement>) => tx.batch(s),
        executeMultiple: (sql: string) => tx.executeMultiple(sql),
        commit: async () => {
          try {
            await tx.commit()
          } finally {
            done()
          }
        },
        rollback: async () => {
          try {
            await tx.rollback()
          } finally {
            done()
          }
        },
        close: () => {
          try {
            tx.close()
          } finally {
            done()
          }
        },
      })
    },
    sync: () => writer.sync(),
    reconnect: () => {
      reader.reconnect()
      if (!readsQueue) writer.reconnect()
    },
    close: () => {
      reader.close()
      if (!readsQueue) writer.close()
    },
  }
  return client as unknown as Client
}
