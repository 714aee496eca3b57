/**
 * The logger the app is given: pino on Node, console JSON on Workers. A small interface so
 * that services and tests do not depend on either. Never pass secrets or private keys.
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
}

export const consoleJsonLogger: Logger = {
  info: (fields, msg) => console.log(JSON.stringify({ level: 'info', msg, ...fields })),
  warn: (fields, msg) => console.warn(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (fields, msg) => console.error(JSON.stringify({ level: 'error', msg, ...fields })),
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
