/**
 * Argument parsing on node:util parseArgs: strict (an unknown flag is a usage error, not
 * silently ignored), plus the `--uplink NAME=IFACE[,endpoint=HOST:PORT]` syntax.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { z } from 'zod'
import { uplinkClaimSchema } from '../../protocol/agent'
import { DEFAULT_STATE_DIR } from '../state'

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

export const commonOptions = {
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export function parse<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

export function stateDirFrom(value: unknown, env: Record<string, string | undefined>): string {
  if (typeof value === 'string' && value !== '') return value
  return env['PATRONUS_STATE_DIR'] || DEFAULT_STATE_DIR
}

export type UplinkClaim = z.infer<typeof uplinkClaimSchema>

/** `NAME=IFACE[,endpoint=HOST:PORT]` -> an uplink claim, validated by the protocol schema. */
export function parseUplink(text: string): UplinkClaim {
  const [head, ...rest] = text.split(',')
  const eq = head?.indexOf('=') ?? -1
  if (!head || eq <= 0 || eq === head.length - 1) {
    throw new UsageError(`--uplink ${text}: expected NAME=IFACE[,endpoint=HOST:PORT]`)
  }
  const claim: Record<string, string> = {
    name: head.slice(0, eq),
    interface: head.slice(eq + 1),
  }
  for (const option of rest) {
    const [key, value] = option.split(/=(.*)/s)
    if (key !== 'endpoint' || !value) {
      throw new UsageError(`--uplink ${text}: unknown option "${option}" (only endpoint=HOST:PORT)`)
    }
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value)) {
      throw new UsageError(`--uplink ${text}: endpoint must be HOST:PORT (IPv6 as [ADDR]:PORT)`)
    }
    claim['endpoint'] = value
  }
  const parsed = uplinkClaimSchema.safeParse(claim)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new UsageError(`--uplink ${text}: ${first?.path.join('.')} is not valid`)
  }
  return parsed.data
}
