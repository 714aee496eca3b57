/**
 * Logs a run of failures once: the first error of a streak at `error`, repeats at `debug`,
 * and the recovery at `info` with how many attempts failed. An agent that cannot reach
 * the control plane for a day must not write a line every minute saying so.
 */
import type { Logger } from '../logger'

export class ErrorStreak {
  private failures = 0

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  failed(error: unknown, retryInMs: number): void {
    this.failures++
    const message = error instanceof Error ? error.message : String(error)
    if (this.failures === 1) {
      this.logger.error({ err: message, retryInMs }, `${this.what} failed; retrying with backoff`)
    } else {
      this.logger.debug(
        { err: message, retryInMs, failures: this.failures },
        `${this.what} failed again`,
      )
    }
  }

  succeeded(): void {
    if (this.failures > 0) {
      this.logger.info({ failures: this.failures }, `${this.what} recovered`)
    }
    this.failures = 0
  }
}
