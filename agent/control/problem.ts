/**
 * Turns a non-success response into a typed error. The control plane answers errors as
 * RFC 9457 problem+json; anything else (a proxy's HTML page) still gives a usable message.
 * The body is read up to MAX_PROBLEM_BYTES only.
 */
import { z } from 'zod'
import { MAX_PROBLEM_BYTES, readCapped } from './body'
import { AgentRevokedError, ControlPlaneProblemError } from './errors'
import { retryAfterMs } from './retry-after'

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
    // Capped: an error page is read for its title only, never buffered whole.
    text = new TextDecoder().decode(await readCapped(response, MAX_PROBLEM_BYTES, context))
  } catch {
    // A body that cannot be read (or is oversized) leaves the status line as the information.
  }
  let problem: z.infer<typeof problemSchema> = {}
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text))
    if (parsed.success) problem = parsed.data
  } catch {
    // Not JSON: fall back to the status text below.
  }
  const title = problem.title ?? (response.statusText || `HTTP ${response.status}`)
  const wait = retryAfterMs(response.headers)
  const args = [response.status, problem.type, title, problem.detail, context, wait] as const
  // The kind check is on the type URI's last segment (RFC 9457 §3.1.1: type identifies it).
  if (response.status === 401 && problem.type?.endsWith('/agent-revoked')) {
    return new AgentRevokedError(...args)
  }
  return new ControlPlaneProblemError(...args)
}
