/**
 * Turns a non-success response into a typed error. The control plane answers errors as
 * RFC 9457 problem+json; anything else (a proxy's HTML page) still gives a usable message.
 */
import { z } from 'zod'
import { AgentRevokedError, ControlPlaneProblemError } from './errors'

const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
})

export async function problemFrom(
  response: Response,
  context: string,
): Promise<ControlPlaneProblemError> {
  let text = ''
  try {
    text = await response.text()
  } catch {
    // A body that cannot be read leaves the status line as the only information.
  }
  let problem: z.infer<typeof problemSchema> = {}
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text))
    if (parsed.success) problem = parsed.data
  } catch {
    // Not JSON: fall back to the status text below.
  }
  const title = problem.title ?? (response.statusText || `HTTP ${response.status}`)
  const args = [response.status, problem.type, title, problem.detail, context] as const
  // The kind check is on the type URI's last segment (RFC 9457 §3.1.1: type identifies it).
  if (response.status === 401 && problem.type?.endsWith('/agent-revoked')) {
    return new AgentRevokedError(...args)
  }
  return new ControlPlaneProblemError(...args)
}
