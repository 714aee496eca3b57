/**
 * Shutdown in steps that do not depend on each other's success: every step runs even when an
 * earlier one threw (a BFD socket that fails to close must not leave class routes behind),
 * and the failures are reported together at the end, each under its step's name.
 */
export type CloseStep = readonly [name: string, run: () => Promise<unknown>]

export async function closeAll(what: string, steps: readonly CloseStep[]): Promise<void> {
  const failures: string[] = []
  for (const [name, run] of steps) {
    try {
      await run()
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`)
    }
  }
  if (failures.length > 0) throw new Error(`${what}: ${failures.join('; ')}`)
}
