/**
 * Enrollment: the one unsigned request, authorised by the single-use token instead. It
 * carries only public keys; the answer tells the agent who it is (agent, site, org) and
 * its overlay address.
 */
import {
  AGENT_PATHS,
  type EnrollRequest,
  type EnrollResponse,
  enrollRequestSchema,
  enrollResponseSchema,
} from '../../protocol/agent'
import type { Clock } from '../clock'
import { joinUrl } from './client'
import { ProtocolError } from './errors'
import { problemFrom } from './problem'
import { exchange, type FetchLike } from './transport'

export async function enrollAgent(
  serverUrl: string,
  request: EnrollRequest,
  deps: { fetch: FetchLike; clock: Clock; timeoutMs?: number },
): Promise<EnrollResponse> {
  const url = joinUrl(serverUrl, AGENT_PATHS.enroll)
  const body = JSON.stringify(enrollRequestSchema.parse(request))
  const response = await exchange(
    deps.fetch,
    deps.clock,
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body },
    deps.timeoutMs ?? 30_000,
  )
  if (response.status !== 201 && response.status !== 200) {
    throw await problemFrom(response, 'enrollment refused')
  }
  let raw: unknown
  try {
    raw = await response.json()
  } catch {
    throw new ProtocolError('enroll: the answer is not JSON')
  }
  const parsed = enrollResponseSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ProtocolError(
      `enroll: the answer does not match the protocol (${parsed.error.message})`,
    )
  }
  return parsed.data
}
