/**
 * Argument parsing on node:util parseArgs: strict (an unknown flag is a usage error, never
 * silently ignored), with the global flags every command accepts merged in.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { ID_PATTERN, ID_PREFIX } from '../protocol/ids'
import { UsageError } from './io'

type Options = NonNullable<ParseArgsConfig['options']>

export const globalOptions = {
  json: { type: 'boolean' },
  server: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export function parse<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({
      args: argv,
      options: { ...globalOptions, ...options },
      strict: true,
      allowPositionals: true,
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** The positional at `index`, or a usage error naming what was expected. */
export function positional(positionals: string[], index: number, what: string): string {
  const value = positionals[index]
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`)
  return value
}

export function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  // Anything but a plain integer goes to the server as text, so its 422 names the field.
  return /^-?\d+$/.test(value) ? Number(value) : (value as unknown as number)
}

export function optionalNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  return Number.isFinite(number) && value.trim() !== '' ? number : (value as unknown as number)
}

/** `--label k=v` repeated -> a labels object. */
export function labelsOf(values: string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined
  const labels: Record<string, string> = {}
  for (const text of values) {
    const eq = text.indexOf('=')
    if (eq <= 0) throw new UsageError(`--label ${text}: expected KEY=VALUE`)
    labels[text.slice(0, eq)] = text.slice(eq + 1)
  }
  return labels
}

/** Whether `text` is an id of `kind` (else the CLI looks it up by name). */
export function isIdOf(kind: keyof typeof ID_PREFIX, text: string): boolean {
  return ID_PATTERN.test(text) && text.startsWith(`${ID_PREFIX[kind]}_`)
}
