/**
 * Enrollment: the one unsigned request, authorised by the single-use token instead. It
 * carries only public keys; the answer tells the agent who it is (agent, site, org) and
 * its overlay address. The token travels in the body, so the server URL must be https://
 * unless allowInsecureHttp is set, and the answer is read with a byte cap.
 */
import {
  AGENT_PATHS,
  type EnrollRequest,
  type EnrollResponse,
  enrollRequestSchema,
  enrollResponseSchema,
} from '../../protocol/agent'
import type { Clock } from '../clock'
import { MAX_JSON_RESPONSE_BYTES, readJsonCapped } from './body'
import { joinUrl } from './client'
import { ProtocolError } from './errors'
import { problemFrom } from './problem'
import { PROTOCOL_HEADERS } from './protocol-header'
import { checkServerUrl } from './server-url'
import { exchange, type FetchLike } from './transport'

export interface EnrollDeps {
  fetch: FetchLike
  clock: Clock
  timeoutMs?: number
  /** Allow an http:// serverUrl (labs, tests); otherwise it throws InsecureServerUrlError. */
  allowInsecureHttp?: boolean
}

export async function enrollAgent(
  serverUrl: string,
  request: EnrollRequest,
  deps: EnrollDeps,
): Promise<EnrollResponse> {
  checkServerUrl(serverUrl, deps.allowInsecureHttp)
  const url = joinUrl(serverUrl, AGENT_PATHS.enroll)
  const body = JSON.stringify(enrollRequestSchema.parse(request))
  const raw = await exchange(
    deps.fetch,
    deps.clock,
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', ...PROTOCOL_HEADERS }, body },
    deps.timeoutMs ?? 30_000,
    undefined,
    async (response) => {
      if (response.status !== 201 && response.status !== 200) {
        throw await problemFrom(response, 'enrollment refused')
      }
      return readJsonCapped(response, MAX_JSON_RESPONSE_BYTES, 'enroll')
    },
  )
  const parsed = enrollResponseSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ProtocolError(
      `enroll: the answer does not match the protocol (${parsed.error.message})`,
    )
  }
  return parsed.data
}
