/**
 * Errors about the local state directory. Each carries a message an operator can act on
 * (which file, what is wrong, what to run), because the CLI prints it as is.
 */

export class StateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StateError'
  }
}

/** No enrollment record: the agent was never enrolled with this state directory. */
export class NotEnrolledError extends StateError {
  constructor(readonly path: string) {
    super(
      `not enrolled (no ${path}); run \`patronus-agent enroll --server URL --token TOKEN\` first`,
    )
    this.name = 'NotEnrolledError'
  }
}
