/**
 * Typed errors of the control client, so callers switch on the class, not on strings:
 * the daemon stops syncing on AgentRevokedError and backs off on everything else, and the
 * CLI prints `message` as the one-line explanation.
 */

export const PROBLEM_BASE = 'https://patronus.dev/problems/'

/** The control plane could not be reached (DNS, refused, reset, timeout). */
export class ControlPlaneUnreachableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ControlPlaneUnreachableError'
  }
}

/** The control plane answered with an error (RFC 9457 problem+json when it could). */
export class ControlPlaneProblemError extends Error {
  constructor(
    readonly status: number,
    /** Full problem type URI, or undefined when the body was not problem+json. */
    readonly type: string | undefined,
    readonly title: string,
    readonly detail: string | undefined,
    context: string,
    /**
     * How long the control plane asked us to wait (`Retry-After` on a 429 or 503), already
     * bounded by MAX_RETRY_AFTER_MS; undefined when it did not say.
     */
    readonly retryAfterMs?: number,
  ) {
    super(`${context}: ${title}${detail ? `: ${detail}` : ''} (HTTP ${status})`)
    this.name = 'ControlPlaneProblemError'
  }

  /** The last segment of the type URI (`agent-revoked`), if any. */
  get kind(): string | undefined {
    return this.type?.startsWith(PROBLEM_BASE) ? this.type.slice(PROBLEM_BASE.length) : undefined
  }
}

/** The control plane revoked this agent: syncing must stop (the key will never work again). */
export class AgentRevokedError extends ControlPlaneProblemError {
  override name = 'AgentRevokedError'
}

/** The control plane sent something that does not match the protocol schemas. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}
