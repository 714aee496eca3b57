/**
 * An in-memory control plane behind a fetch function, for unit tests of the client,
 * daemon and CLI without sockets. It verifies every agent request's RFC 9421 signature
 * with the enrolled public key (protocol/signing.ts, the same code the real server uses),
 * honours If-None-Match, and records every request so tests can inspect what left the
 * agent. Long-polls are answered at once (304 or the new document).
 */
import {
  AGENT_PATHS,
  type DesiredState,
  enrollRequestSchema,
  heartbeatSchema,
  modelEtag,
} from '../../protocol/agent'
import { fromBase64, verifySignature } from '../../protocol/signing'
import { PROTOCOL_VERSION } from '../../protocol/version'
import { desiredState } from './fixtures'

export interface RecordedRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

function problem(status: number, kind: string, title: string, detail: string): Response {
  return new Response(
    JSON.stringify({ type: `https://patronus.dev/problems/${kind}`, title, status, detail }),
    { status, headers: { 'content-type': 'application/problem+json' } },
  )
}

export class FakeControlPlane {
  readonly requests: RecordedRequest[] = []
  readonly heartbeats: unknown[] = []
  validToken = `pet_${'a'.repeat(43)}`
  agentId = 'agt_1'
  identityPublicKey: string | undefined
  state: DesiredState = desiredState(1)
  revoked = false
  /** When set, every request fails as a network error would. */
  down = false

  fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    const body =
      init.body === undefined || init.body === null
        ? ''
        : typeof init.body === 'string'
          ? init.body
          : new TextDecoder().decode(init.body as Uint8Array)
    const method = init.method ?? 'GET'
    this.requests.push({ method, url: input, headers, body })
    if (this.down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
    const url = new URL(input)
    if (url.pathname === AGENT_PATHS.enroll && method === 'POST') return this.enroll(body)
    const verified = await verifySignature(
      { method, url: input, headers },
      fromBase64(this.identityPublicKey ?? ''),
    ).catch(() => false)
    if (!verified) return problem(401, 'agent-signature-invalid', 'Bad signature', 'no match')
    if (this.revoked) return problem(401, 'agent-revoked', 'Agent revoked', 'revoked by admin')
    if (url.pathname === AGENT_PATHS.config && method === 'GET') {
      // Like the real one: the revision tag, and the model tag when the agent sends one.
      const tags = (headers['if-none-match'] ?? '').split(',').map((t) => t.trim())
      const model = tags.find((t) => t.startsWith('"m-'))
      if (
        tags[0] === `"${this.state.revision}"` &&
        (model === undefined || model === modelEtag(this.state.model ?? null))
      ) {
        return new Response(null, { status: 304 })
      }
      return new Response(JSON.stringify(this.state), {
        status: 200,
        headers: { 'content-type': 'application/json', etag: `"${this.state.revision}"` },
      })
    }
    if (url.pathname === AGENT_PATHS.heartbeat && method === 'POST') {
      this.heartbeats.push(heartbeatSchema.parse(JSON.parse(body)))
      return new Response(null, { status: 204 })
    }
    return problem(404, 'not-found', 'Not found', url.pathname)
  }

  private enroll(body: string): Response {
    const parsed = enrollRequestSchema.safeParse(JSON.parse(body))
    if (!parsed.success) return problem(422, 'validation-failed', 'Invalid', parsed.error.message)
    if (parsed.data.token !== this.validToken) {
      return problem(
        401,
        'enrollment-token-invalid',
        'The enrollment token is not valid',
        'the token has expired',
      )
    }
    this.identityPublicKey = parsed.data.identityPublicKey
    return new Response(
      JSON.stringify({
        agentId: this.agentId,
        siteId: 'site_1',
        orgId: 'org_1',
        overlayAddress: '100.64.0.1',
        overlayPool: '100.64.0.0/10',
        protocolVersion: PROTOCOL_VERSION,
      }),
      { status: 201, headers: { 'content-type': 'application/json' } },
    )
  }
}
