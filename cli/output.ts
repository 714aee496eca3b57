/**
 * How results reach the operator: `--json` prints the API's objects as they are (for jq and
 * scripts); otherwise a plain aligned table. Errors print the problem's title, detail and
 * each field error.
 */
import { ApiProblem } from './client'
import { type AdminIo, UsageError } from './io'

export interface Column<T> {
  header: string
  value(row: T): unknown
}

export interface Output {
  json: boolean
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(',')
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${cell(v)}`).join(',')
  }
  return String(value)
}

export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))))
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  )
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n'
}

/** A list: the items as a JSON array, or a table ("no X" when empty). */
export function printList<T>(io: AdminIo, out: Output, rows: T[], columns: Column<T>[]) {
  if (out.json) return io.stdout(`${JSON.stringify(rows, null, 2)}\n`)
  io.stdout(rows.length === 0 ? '(none)\n' : renderTable(rows, columns))
}

/** One object: JSON, or `field: value` lines. */
export function printObject(io: AdminIo, out: Output, object: Record<string, unknown>) {
  if (out.json) return io.stdout(`${JSON.stringify(object, null, 2)}\n`)
  const width = Math.max(...Object.keys(object).map((k) => k.length))
  io.stdout(
    Object.entries(object)
      .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}\n`)
      .join(''),
  )
}

/** Prints an error the way an operator needs it; --json also gets a JSON document on stderr. */
export function printError(io: AdminIo, out: Output, error: unknown) {
  if (error instanceof ApiProblem) {
    if (out.json) {
      const { status, title, detail, errors } = error
      return io.stderr(`${JSON.stringify({ status, title, detail, errors })}\n`)
    }
    const status = error.status ? ` (HTTP ${error.status})` : ''
    io.stderr(`error: ${error.title}${status}\n  ${error.detail}\n`)
    for (const field of error.errors) io.stderr(`  - ${field.path || '(body)'}: ${field.message}\n`)
    return
  }
  if (error instanceof UsageError) return io.stderr(`error: ${error.message}\n`)
  io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`)
}

/** Wraps io so that a secret (the API token) can never reach stdout or stderr. */
export function redacting(io: AdminIo, secret: () => string | undefined): AdminIo {
  const scrub = (text: string) => {
    const value = secret()
    return value && value.length >= 8 ? text.split(value).join('[redacted]') : text
  }
  return {
    ...io,
    stdout: (text) => io.stdout(scrub(text)),
    stderr: (text) => io.stderr(scrub(text)),
  }
}
