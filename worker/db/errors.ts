/**
 * Recognises constraint failures from libSQL (file or server), which drizzle wraps in its
 * own error with the driver's error as `cause`. Services check uniqueness first to give a
 * precise message; this catches the race where two requests pass that check together.
 */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string' && /UNIQUE constraint failed/i.test(message)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
