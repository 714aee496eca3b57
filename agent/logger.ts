/**
 * The agent's logger: pino JSON (one line per event, for journald and log shippers),
 * injected into every component and scoped with `child({ component })` (docs/house-style.md,
 * rule 7). Never pass a private key or an enrollment token to it.
 */
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino'

export type { Logger }

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export function createLogger(
  level: LevelWithSilent = 'info',
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level,
      base: { name: 'patronus-agent' },
      // Defence in depth: should a key or token ever reach a log call, it is masked.
      redact: {
        paths: ['token', '*.token', 'privateKey', '*.privateKey', 'authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  )
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
