/**
 * Recognises constraint failures from libSQL (file or server), which drizzle wraps in its
 * own error with the driver's error as `cause`. Services check uniqueness first to give a
 * precise message; this catches the race where two requests pass that check together.
 */
export function isUniqueViolation(error: unknown): boolean {
  return uniqueViolationMessage(error) !== undefined
}

/**
 * The driver's "UNIQUE constraint failed: table.column, ..." message, or undefined when the
 * error is no unique violation. SQLite names the columns (also for a unique index), which
 * tells a service with several unique indexes on one table which one fired.
 */
export function uniqueViolationMessage(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string' && /UNIQUE constraint failed/i.test(message)) return message
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}
