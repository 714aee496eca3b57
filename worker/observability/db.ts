/**
 * Database spans: wraps the libSQL Client that drizzle drives (Node and web clients alike,
 * as serialized-client.ts wraps one) so every execute, batch and transaction is a child
 * span of the request that caused it. The SQL text is recorded (drizzle sends parameters
 * separately, so no values - hence no secrets - reach the span); arguments never are.
 */
import type {
  Client,
  InArgs,
  InStatement,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/client'
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { recordFailure } from './tracing'

const MAX_SQL = 2000

function sqlText(stmt: InStatement | string | [string, InArgs?]): string {
  const sql = typeof stmt === 'string' ? stmt : Array.isArray(stmt) ? stmt[0] : stmt.sql
  return sql.length > MAX_SQL ? `${sql.slice(0, MAX_SQL)}...` : sql
}

/** `SELECT`, `INSERT`... : the first keyword, for span names of low cardinality. */
function operation(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL'
}

async function traced<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  onResult?: (span: Span, result: T) => void,
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'sqlite', ...attributes } },
    async (span) => {
      try {
        const result = await work()
        onResult?.(span, result)
        return result
      } catch (error) {
        recordFailure(span, error)
        throw error
      } finally {
        span.end()
      }
    },
  )
}

const rows = (span: Span, r: ResultSet) => {
  span.setAttribute('db.response.returned_rows', r.rows.length)
}

function tracedStatement(tracer: Tracer, run: (s: InStatement) => Promise<ResultSet>) {
  return (stmt: InStatement | string, args?: InArgs): Promise<ResultSet> => {
    const statement: InStatement = typeof stmt === 'string' ? { sql: stmt, args: args ?? [] } : stmt
    const sql = sqlText(statement)
    return traced(
      tracer,
      `db ${operation(sql)}`,
      { 'db.operation.name': operation(sql), 'db.query.text': sql },
      () => run(statement),
      rows,
    )
  }
}

export function tracedClient(client: Client, tracer: Tracer): Client {
  // An explicit object, not Object.create(client): the drivers' getters read private fields.
  const wrapped = {
    get closed() {
      return client.closed
    },
    get protocol() {
      return client.protocol
    },
    sync: () => client.sync(),
    reconnect: () => client.reconnect(),
    close: () => client.close(),
    execute: tracedStatement(tracer, (s) => client.execute(s)),
    batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode) {
      return traced(
        tracer,
        'db batch',
        {
          'db.operation.name': 'BATCH',
          'db.operation.batch.size': stmts.length,
          'db.query.text': stmts.map(sqlText).join(';\n').slice(0, MAX_SQL),
        },
        () => client.batch(stmts as Array<InStatement>, mode),
      )
    },
    migrate(stmts: Array<InStatement>) {
      return traced(tracer, 'db migrate', { 'db.operation.name': 'MIGRATE' }, () =>
        client.migrate(stmts),
      )
    },
    executeMultiple(sql: string) {
      return traced(
        tracer,
        'db executeMultiple',
        { 'db.operation.name': 'EXECUTE', 'db.query.text': sqlText(sql) },
        () => client.executeMultiple(sql),
      )
    },
    async transaction(mode?: TransactionMode): Promise<Transaction> {
      // One span from BEGIN to COMMIT/ROLLBACK; the statements inside are its children.
      const span = tracer.startSpan('db transaction', {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'sqlite', 'db.operation.name': 'TRANSACTION' },
      })
      let tx: Transaction
      try {
        tx = await client.transaction(mode)
      } catch (error) {
        recordFailure(span, error)
        span.end()
        throw error
      }
      const parent = trace.setSpan(context.active(), span)
      const inTx = <T>(work: () => Promise<T>) => context.with(parent, work)
      let ended = false
      const end = (outcome: string, error?: unknown) => {
        if (ended) return
        ended = true
        span.setAttribute('db.transaction.outcome', outcome)
        if (error) recordFailure(span, error)
        span.end()
      }
      return Object.assign(Object.create(tx) as Transaction, {
        execute: (s: InStatement) => inTx(() => tracedStatement(tracer, (x) => tx.execute(x))(s)),
        batch: (s: Array<InStatement>) => inTx(() => tx.batch(s)),
        executeMultiple: (sql: string) => inTx(() => tx.executeMultiple(sql)),
        commit: async () => {
          try {
            await tx.commit()
            end('commit')
          } catch (error) {
            end('commit', error)
            throw error
          }
        },
        rollback: async () => {
          try {
            await tx.rollback()
          } finally {
            end('rollback')
          }
        },
        close: () => {
          try {
            tx.close()
          } finally {
            end('close')
          }
        },
      })
    },
  }
  return wrapped as unknown as Client
}
