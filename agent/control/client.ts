/**
 * The control client: the agent's signed conversation with the control plane after
 * enrollment. Every request carries an RFC 9421 signature made with the identity key
 * (protocol/signing.ts): created = the injected clock, a fresh 16-byte nonce, keyid = the
 * agent id. Config is pulled with ETag + long-poll; answers are validated with zod here,
 * at the boundary, so the daemon trusts what it gets.
 */
import { randomBytes } from 'node:crypto'
import {
  AGENT_PATHS,
  type DesiredState,
  desiredStateSchema,
  type Heartbeat,
  heartbeatSchema,
  MAX_LONG_POLL_SECONDS,
  modelEtag,
} from '../../protocol/agent'
import { type AgentSigner, signRequest } from '../../protocol/signing'
import {
  type AgentEvent,
  agentEventBatchSchema,
  TELEMETRY_PATHS,
  type TelemetryBatch,
  telemetryBatchSchema,
} from '../../protocol/telemetry'
import type { Clock } from '../clock'
import { MAX_DESIRED_STATE_BYTES, readJsonCapped } from './body'
import { ProtocolError } from './errors'
import { problemFrom } from './problem'
import { PROTOCOL_HEADERS } from './protocol-header'
import { checkServerUrl } from './server-url'
import { exchange, type FetchLike } from './transport'

export type ConfigResult =
  | { status: 'changed'; state: DesiredState; etag: string }
  | { status: 'unchanged' }

export interface GetConfigOptions {
  /** The revision the agent has; sent as `If-None-Match: "<revision>"`. */
  etag?: number | undefined
  /** The model the agent has (with etag): adds protocol modelEtag to If-None-Match. */
  model?: { sha256: string } | null | undefined
  /** Long-poll: the server holds the request up to this many seconds (capped at 60). */
  waitSeconds?: number | undefined
  signal?: AbortSignal | undefined
}

/** What the daemon needs from the control plane (an interface so tests can fake it). */
export interface ControlClient {
  getConfig(options?: GetConfigOptions): Promise<ConfigResult>
  heartbeat(body: Heartbeat, signal?: AbortSignal): Promise<void>
  /** Per-path summaries and active paths (`POST /v1/agent/telemetry`). */
  postTelemetry(batch: TelemetryBatch, signal?: AbortSignal): Promise<void>
  /** Path events, 1 to MAX_EVENTS_PER_BATCH (100) per call (`POST /v1/agent/events`). */
  postEvents(events: AgentEvent[], signal?: AbortSignal): Promise<void>
}

export interface ControlClientOptions {
  serverUrl: string
  signer: AgentSigner
  fetch: FetchLike
  clock: Clock
  /** Timeout of a request, on top of any long-poll wait. */
  requestTimeoutMs?: number
  /** Nonce source; 16 random bytes by default. */
  nonce?: () => string
  /** Allow an http:// serverUrl (labs, tests); otherwise it throws InsecureServerUrlError. */
  allowInsecureHttp?: boolean
  /** Cap of a desired-state document (MAX_DESIRED_STATE_BYTES by default). */
  maxDesiredStateBytes?: number
}

const textEncoder = new TextEncoder()
/** Timeout of telemetry and event posts. */
export const REPORT_TIMEOUT_MS = 5_000

/** base URL + path, tolerating a trailing slash or a path prefix on the server URL. */
export function joinUrl(serverUrl: string, path: string): string {
  return serverUrl.replace(/\/+$/, '') + path
}

export function createControlClient(options: ControlClientOptions): ControlClient {
  checkServerUrl(options.serverUrl, options.allowInsecureHttp)
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const maxStateBytes = options.maxDesiredStateBytes ?? MAX_DESIRED_STATE_BYTES
  const nonce = options.nonce ?? (() => randomBytes(16).toString('base64url'))

  async function signed(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Uint8Array,
  ): Promise<Record<string, string>> {
    const created = Math.floor(options.clock.now() / 1000)
    return signRequest(
      { method, url, headers: { ...headers, ...PROTOCOL_HEADERS }, body },
      options.signer,
      created,
      nonce(),
    )
  }

  async function postJson(path: string, body: unknown, what: string, signal?: AbortSignal) {
    const url = joinUrl(options.serverUrl, path)
    const bytes = textEncoder.encode(JSON.stringify(body))
    const headers = { 'content-type': 'application/json' }
    await exchange(
      options.fetch,
      options.clock,
      url,
      { method: 'POST', headers: await signed('POST', url, headers, bytes), body: bytes },
      // Short: a reporting post stuck on a dead connection (the uplink it used just failed)
      // must give way to a fresh one, which routing sends through a working uplink.
      Math.min(timeoutMs, REPORT_TIMEOUT_MS),
      signal,
      async (response) => {
        if (response.status < 200 || response.status > 299) {
          throw await problemFrom(response, what)
        }
        await response.body?.cancel()
      },
    )
  }

  return {
    postTelemetry(batch, signal) {
      return postJson(
        TELEMETRY_PATHS.telemetry,
        telemetryBatchSchema.parse(batch),
        'send telemetry',
        signal,
      )
    },

    postEvents(events, signal) {
      return postJson(
        TELEMETRY_PATHS.events,
        agentEventBatchSchema.parse({ events }),
        'send events',
        signal,
      )
    },

    async getConfig({ etag, model, waitSeconds, signal } = {}) {
      const wait =
        waitSeconds === undefined
          ? undefined
          : Math.max(0, Math.min(MAX_LONG_POLL_SECONDS, Math.floor(waitSeconds)))
      const query = wait ? `?wait=${wait}` : ''
      const url = joinUrl(options.serverUrl, AGENT_PATHS.config) + query
      const headers: Record<string, string> = { accept: 'application/json' }
      if (etag !== undefined) {
        headers['if-none-match'] = `"${etag}"${model !== undefined ? `, ${modelEtag(model)}` : ''}`
      }
      return exchange(
        options.fetch,
        options.clock,
        url,
        { method: 'GET', headers: await signed('GET', url, headers, new Uint8Array()) },
        timeoutMs + (wait ?? 0) * 1000,
        signal,
        (response) => readConfig(response, options.signer.keyId, maxStateBytes),
      )
    },

    async heartbeat(body, signal) {
      const url = joinUrl(options.serverUrl, AGENT_PATHS.heartbeat)
      const bytes = textEncoder.encode(JSON.stringify(heartbeatSchema.parse(body)))
      const headers = { 'content-type': 'application/json' }
      await exchange(
        options.fetch,
        options.clock,
        url,
        { method: 'POST', headers: await signed('POST', url, headers, bytes), body: bytes },
        timeoutMs,
        signal,
        async (response) => {
          if (response.status !== 204 && response.status !== 200) {
            throw await problemFrom(response, 'send heartbeat')
          }
          await response.body?.cancel()
        },
      )
    },
  }
}

/** A config answer: 304, or a capped, schema-checked document for this agent. */
async function readConfig(
  response: Response,
  agentId: string,
  maxBytes: number,
): Promise<ConfigResult> {
  if (response.status === 304) {
    await response.body?.cancel()
    return { status: 'unchanged' }
  }
  if (response.status !== 200) throw await problemFrom(response, 'fetch desired state')
  const raw = await readJsonCapped(response, maxBytes, 'fetch desired state')
  const parsed = desiredStateSchema.safeParse(raw)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new ProtocolError(
      `fetch desired state: the document does not match the protocol (${first?.path.join('.')}: ${first?.message})`,
    )
  }
  // A document for another agent would configure this site as someone else.
  if (parsed.data.agent.id !== agentId) {
    throw new ProtocolError(
      `fetch desired state: the document is for agent ${parsed.data.agent.id}, not ${agentId}`,
    )
  }
  const etagHeader = response.headers.get('etag') ?? `"${parsed.data.revision}"`
  return { status: 'changed', state: parsed.data, etag: etagHeader }
}
