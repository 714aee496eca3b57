/**
 * A long-poll known to be waiting on the server, without sleeping and hoping: the same
 * signed request is sent twice at once. The control plane stores each signature's nonce
 * when it authenticates a request, so exactly one of the two is let in (and waits) and the
 * other is refused as a replay. Once the refusal is back, the survivor is past
 * authentication, so whatever the test does next (revoke the agent, stop the server)
 * happens while that long-poll is in flight.
 */
import { expect } from 'vitest'
import type { TestAgent } from '../api/agent-client'
import type { ApiResponse } from '../api/harness'

export async function longPollInFlight(
  agent: TestAgent,
  etag: string,
  waitSeconds: number,
): Promise<{ answer: Promise<ApiResponse> }> {
  const path = `/v1/agent/config?wait=${waitSeconds}`
  const headers = await agent.sign('GET', path, '', { headers: { 'if-none-match': etag } })
  const polls = [agent.send('GET', path, headers), agent.send('GET', path, headers)]
  const first = await Promise.race(polls.map((p, i) => p.then((response) => ({ i, response }))))
  // The first answer must be the replay refusal: anything else means no poll is waiting.
  expect(first.response.status, JSON.stringify(first.response.body)).toBe(401)
  expect(first.response.body.type).toBe('https://patronus.dev/problems/agent-replay')
  // Wrapped: an async function returning a bare promise would wait for it.
  return { answer: polls[1 - first.i]! }
}
